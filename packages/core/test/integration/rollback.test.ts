import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { MigrationApplyError } from '../../src/migrations/database/apply-errors.js'
import { rollbackMigrations } from '../../src/migrations/database/rollback.js'
import { withScratchDatabase } from '../helpers/pg.js'
import {
  dbmateSet,
  drizzleSet,
  golangMigrateSet,
  gooseSet,
  withTempDir,
} from '../helpers/migration-set.js'
import type { GooseSpec } from '../helpers/migration-set.js'

async function tables(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', 'schema_migrations') ORDER BY 1",
  )
  return result.rows.map((r) => r.t)
}

async function gooseVersions(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ v: string }>(
    'SELECT version_id::text AS v FROM goose_db_version ORDER BY id',
  )
  return result.rows.map((r) => r.v)
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; fix?: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isPgtestbedError(error)) throw new Error(`expected a pgtestbed error, got ${String(error)}`)
  return error
}

const gooseTable = (version: number, name: string): GooseSpec => ({
  version,
  name,
  up: [`CREATE TABLE ${name} (id int);`],
  down: [`DROP TABLE ${name};`],
})

describe('rollbackMigrations', () => {
  it('should round-trip goose migrations: one step by default, everything with to 0, then up again', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [gooseTable(1, 'a'), gooseTable(2, 'b'), gooseTable(3, 'c')])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        const one = await rollbackMigrations(client, set)
        expect(one.rolledBack.map((r) => r.migration.version)).toEqual(['3'])
        expect(await tables(client)).toEqual(['a', 'b'])
        expect(await gooseVersions(client)).toEqual(['0', '1', '2'])

        const all = await rollbackMigrations(client, set, { to: '0' })
        expect(all.rolledBack.map((r) => r.migration.version)).toEqual(['2', '1'])
        expect(await tables(client)).toEqual([])
        expect(await gooseVersions(client)).toEqual(['0'])

        const again = await applyMigrations(client, set)
        expect(again.applied.map((a) => a.migration.version)).toEqual(['1', '2', '3'])
        expect(await tables(client)).toEqual(['a', 'b', 'c'])
      })
    })
  })

  it('should undo goose versions in the order they were applied, and delete the row of a file without Down', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        gooseTable(1, 'a'),
        gooseTable(2, 'b'),
        { version: 3, name: 'c', up: ['CREATE TABLE c (id int);'], down: null },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, {
          ...set,
          migrations: [set.migrations[0]!, set.migrations[2]!],
        })
        await applyMigrations(client, set, { allowMissing: true })
        expect(await gooseVersions(client)).toEqual(['0', '1', '3', '2'])
        const first = await rollbackMigrations(client, set)
        expect(first.rolledBack.map((r) => r.migration.version)).toEqual(['2'])
        const second = await rollbackMigrations(client, set, { steps: 1 })
        expect(second.rolledBack.map((r) => r.migration.version)).toEqual(['3'])
        // No Down section: goose only deletes the row, so table c stays.
        expect(await tables(client)).toEqual(['a', 'c'])
        expect(await gooseVersions(client)).toEqual(['0', '1'])
      })
    })
  })

  it('should stop at `to`, which stays applied', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [gooseTable(1, 'a'), gooseTable(2, 'b'), gooseTable(3, 'c')])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        const result = await rollbackMigrations(client, set, { to: '1' })
        expect(result.rolledBack.map((r) => r.migration.version)).toEqual(['3', '2'])
        expect(await gooseVersions(client)).toEqual(['0', '1'])
      })
    })
  })

  it('should report a failing Down statement and keep the version recorded', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        gooseTable(1, 'a'),
        {
          version: 2,
          name: 'b',
          up: ['CREATE TABLE b (id int);'],
          down: ['DROP TABLE b;', 'DROP TABLE not_there;'],
        },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        const error = await rejection(rollbackMigrations(client, set))
        expect(error).toBeInstanceOf(MigrationApplyError)
        const failure = error as MigrationApplyError
        expect(failure.direction).toBe('down')
        expect(failure.statementNumber).toBe(2)
        expect(failure.statementLine).toBe(6)
        expect(failure.message).toContain(
          'failed to roll back migration 00002_b.sql (version 2): statement 2 (line 6) failed: ERROR 42P01: table "not_there" does not exist',
        )
        expect(failure.message).toContain('version 2 is still recorded in goose_db_version')
        expect(await tables(client)).toEqual(['a', 'b'])
        expect(await gooseVersions(client)).toEqual(['0', '1', '2'])
      })
    })
  })

  it('should refuse a recorded goose version that has no file', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [gooseTable(1, 'a')])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        await client.query('INSERT INTO goose_db_version (version_id, is_applied) VALUES (5, true)')
        const error = await rejection(rollbackMigrations(client, set))
        expect(error.code).toBe('VERSION_TABLE_CONFLICT')
        expect(error.message).toBe(
          `cannot roll back version 5: it is recorded in goose_db_version but no migration file in ${dir} has that version`,
        )
      })
    })
  })

  it('should roll back newer goose versions when older rows have no file (squashed history)', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [gooseTable(2, 'b'), gooseTable(3, 'c')])
      await withScratchDatabase(async (client) => {
        await client.query(`CREATE TABLE goose_db_version (
            id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL,
            is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());
          INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true)`)
        await applyMigrations(client, set)
        const result = await rollbackMigrations(client, set, { to: '1' })
        expect(result.rolledBack.map((r) => r.migration.version)).toEqual(['3', '2'])
        expect(await gooseVersions(client)).toEqual(['0', '1'])
        const error = await rejection(rollbackMigrations(client, set))
        expect(error.code).toBe('VERSION_TABLE_CONFLICT')
        expect(error.message).toMatch(
          /^cannot roll back version 1: it is recorded in goose_db_version/,
        )
      })
    })
  })

  it('should step golang-migrate back to the previous version with clean rows, down to no version', async () => {
    await withTempDir(async (dir) => {
      const set = golangMigrateSet(dir, [
        { version: 1, name: 'a', up: 'CREATE TABLE a (id int);', down: 'DROP TABLE a;' },
        { version: 5, name: 'b', up: 'CREATE TABLE b (id int);', down: 'DROP TABLE b;' },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        await rollbackMigrations(client, set)
        const after = await client.query(
          'SELECT version::text AS version, dirty FROM schema_migrations',
        )
        expect(after.rows).toEqual([{ version: '1', dirty: false }])
        expect(await tables(client)).toEqual(['a'])
        await rollbackMigrations(client, set)
        expect((await client.query('SELECT * FROM schema_migrations')).rows).toEqual([])
        expect(await tables(client)).toEqual([])
        await applyMigrations(client, set)
        expect(await tables(client)).toEqual(['a', 'b'])
      })
    })
  })

  it('should roll back the last dbmate file in name order and refuse one without a down block', async () => {
    await withTempDir(async (dir) => {
      const set = dbmateSet(dir, [
        { version: '001', name: 'a', up: 'create table a (id int);', down: 'drop table a;' },
        { version: '002', name: 'b', up: 'create table b (id int);', down: 'drop table b;' },
        { version: '003', name: 'c', up: 'create table c (id int);', down: null },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, { ...set, migrations: set.migrations.slice(0, 2) })
        const result = await rollbackMigrations(client, set)
        expect(result.rolledBack.map((r) => r.migration.version)).toEqual(['002'])
        expect(await tables(client)).toEqual(['a'])
        expect((await client.query('SELECT version FROM schema_migrations')).rows).toEqual([
          { version: '001' },
        ])

        await applyMigrations(client, set)
        const error = await rejection(rollbackMigrations(client, set, { steps: 2 }))
        expect(error.code).toBe('ROLLBACK_UNSUPPORTED')
        expect(error.message).toBe(
          'cannot roll back 003_c.sql: it has no Down section; nothing was rolled back',
        )
        expect(await tables(client)).toEqual(['a', 'b', 'c'])
      })
    })
  })

  it('should refuse to roll back drizzle migrations, which have no Down section', async () => {
    await withTempDir(async (dir) => {
      const set = drizzleSet(dir, [
        { tag: '0000_init', when: 1000, statements: ['CREATE TABLE a (id int);'] },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        const error = await rejection(rollbackMigrations(client, set))
        expect(error.code).toBe('ROLLBACK_UNSUPPORTED')
        expect(error.message).toBe(
          'cannot roll back 0000_init.sql: drizzle migrations have no Down section; nothing was rolled back',
        )
        expect(error.fix).toBe(
          'write a new migration that reverts the change (drizzle-kit generate), or rebuild the database from scratch',
        )
        expect(await tables(client)).toEqual(['a'])
      })
    })
  })

  it('should do nothing on a database without a version table, and reject a bad steps value', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [gooseTable(1, 'a')])
      await withScratchDatabase(async (client) => {
        const result = await rollbackMigrations(client, set)
        expect(result.rolledBack).toEqual([])
        const tableAfter = await client.query("SELECT to_regclass('goose_db_version') AS r")
        expect(tableAfter.rows[0].r).toBeNull()
        const error = await rejection(rollbackMigrations(client, set, { steps: 0 }))
        expect(error.code).toBe('INVALID_OPTIONS')
        expect(error.message).toBe('steps must be a positive integer, got 0')
      })
    })
  })
})
