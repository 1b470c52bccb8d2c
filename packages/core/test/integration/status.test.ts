import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { formatMigrationStatus, getMigrationStatus } from '../../src/migrations/database/status.js'
import type { MigrationStatus } from '../../src/migrations/database/status.js'
import { withScratchDatabase } from '../helpers/pg.js'
import {
  dbmateSet,
  drizzleSet,
  golangMigrateSet,
  gooseSet,
  withTempDir,
} from '../helpers/migration-set.js'

const versions = (status: MigrationStatus) => ({
  applied: status.applied.map((e) => e.migration.version),
  pending: status.pending.map((m) => m.version),
  missing: status.missing.map((m) => m.version),
  unknown: status.unknown.map((u) => u.version),
  current: status.currentVersion,
})

describe('getMigrationStatus', () => {
  it('should report everything pending, without creating the table, on a fresh database', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'a', up: ['SELECT 1;'] },
        { version: 2, name: 'b', up: ['SELECT 1;'] },
      ])
      await withScratchDatabase(async (client) => {
        const status = await getMigrationStatus(client, set)
        expect(status.tableExists).toBe(false)
        expect(versions(status)).toEqual({
          applied: [],
          pending: ['1', '2'],
          missing: [],
          unknown: [],
          current: null,
        })
        expect(formatMigrationStatus(status)).toBe(
          [
            '    Applied At                  Migration',
            '    =======================================',
            '    Pending                  -- 00001_a.sql',
            '    Pending                  -- 00002_b.sql',
            '',
            '    goose_db_version does not exist yet',
            '',
            '    current version: none',
          ].join('\n'),
        )
        const table = await client.query("SELECT to_regclass('goose_db_version') AS r")
        expect(table.rows[0].r).toBeNull()
      })
    })
  })

  it('should place goose files as applied (with the time), missing or pending, and list versions without a file', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'a', up: ['SELECT 1;'] },
        { version: 2, name: 'b', up: ['SELECT 1;'] },
        { version: 3, name: 'c', up: ['SELECT 1;'] },
        { version: 4, name: 'd', up: ['SELECT 1;'] },
        { version: 9, name: 'e', up: ['SELECT 1;'] },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, {
          ...set,
          migrations: [set.migrations[0]!, set.migrations[2]!],
        })
        await client.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES (7, true)')
        const status = await getMigrationStatus(client, set)
        expect(versions(status)).toEqual({
          applied: ['1', '3'],
          pending: ['9'],
          missing: ['2', '4'],
          unknown: ['7'],
          current: '7',
        })
        const appliedAt = status.applied[0]?.appliedAt
        expect(appliedAt).toBeInstanceOf(Date)
        expect(Math.abs(Date.now() - (appliedAt as Date).getTime())).toBeLessThan(10 * 60_000)
        const text = formatMigrationStatus(status, { dir })
        expect(text).toMatch(/\n {4}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} -- 00001_a\.sql\n/)
        expect(text).toContain('\n    Missing (out of order)   -- 00002_b.sql\n')
        expect(text).toContain('\n    Pending                  -- 00009_e.sql\n')
        expect(text).toMatch(/ -- version 7 \(no file\)\n/)
        expect(text.endsWith('\n    current version: 7')).toBe(true)
      })
    })
  })

  it('should report the golang-migrate version and its dirty flag', async () => {
    await withTempDir(async (dir) => {
      const set = golangMigrateSet(dir, [
        { version: 1, name: 'a', up: 'SELECT 1;' },
        { version: 2, name: 'b', up: 'SELECT * FROM nope;' },
        { version: 3, name: 'c', up: 'SELECT 1;' },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set).catch(() => {})
        const status = await getMigrationStatus(client, set)
        expect(status.dirty).toBe(true)
        expect(versions(status)).toEqual({
          applied: ['1', '2'],
          pending: ['3'],
          missing: [],
          unknown: [],
          current: '2',
        })
        expect(status.applied.map((e) => e.dirty)).toEqual([undefined, true])
        expect(formatMigrationStatus(status, { dir })).toBe(
          [
            '    Applied At                  Migration',
            '    =======================================',
            '    Applied                  -- 1_a.up.sql',
            '    Dirty (failed part-way)  -- 2_b.up.sql',
            '    Pending                  -- 3_c.up.sql',
            '',
            '    current version: 2 (dirty)',
            '    version 2 is dirty: a run moving the database to version 2 failed part-way, and golang-migrate (and pgtestbed) refuse to migrate until the flag is cleared.',
            `    Check what that run changed, complete or undo it by hand, then record the version the database matches: \`migrate -path ${dir} -database <url> force <version>\` (2 if the change is complete, 1 if you undid a failed up).`,
          ].join('\n'),
        )
      })
    })
  })

  it('should show a dirty golang-migrate version that has no file as dirty', async () => {
    await withTempDir(async (dir) => {
      const set = golangMigrateSet(dir, [{ version: 1, name: 'a', up: 'SELECT 1;' }])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        await client.query('UPDATE schema_migrations SET version = 5, dirty = true')
        const text = formatMigrationStatus(await getMigrationStatus(client, set))
        expect(text).toContain('\n    Applied                  -- 1_a.up.sql\n')
        expect(text).toContain('\n    Dirty (failed part-way)  -- version 5 (no file)\n')
        expect(text).toContain(
          '`migrate -path <migrations folder> -database <url> force <version>` (5 if the change is complete)',
        )
      })
    })
  })

  it('should report dbmate files older than the newest applied one as missing', async () => {
    await withTempDir(async (dir) => {
      const set = dbmateSet(dir, [
        { version: '20240101', name: 'a', up: 'select 1;' },
        { version: '20240102', name: 'b', up: 'select 1;' },
        { version: '20240103', name: 'c', up: 'select 1;' },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, {
          ...set,
          migrations: [set.migrations[0]!, set.migrations[2]!],
        })
        expect(versions(await getMigrationStatus(client, set))).toEqual({
          applied: ['20240101', '20240103'],
          pending: [],
          missing: ['20240102'],
          unknown: [],
          current: '20240103',
        })
      })
    })
  })

  it('should match drizzle rows by journal when and report an older unapplied entry as missing', async () => {
    await withTempDir(async (dir) => {
      const set = drizzleSet(dir, [
        { tag: '0000_a', when: 1000, statements: ['SELECT 1;'] },
        { tag: '0001_b', when: 2000, statements: ['SELECT 1;'] },
        { tag: '0002_c', when: 3000, statements: ['SELECT 1;'] },
        { tag: '0003_d', when: 4000, statements: ['SELECT 1;'] },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, {
          ...set,
          migrations: [set.migrations[0]!, set.migrations[2]!],
        })
        expect(versions(await getMigrationStatus(client, set))).toEqual({
          applied: ['0000_a', '0002_c'],
          pending: ['0003_d'],
          missing: ['0001_b'],
          unknown: [],
          current: '0002_c',
        })
      })
    })
  })
})
