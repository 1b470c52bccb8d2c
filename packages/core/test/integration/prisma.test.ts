// Prisma Migrate's behaviour as read in prisma-engines (the schema engine's PostgreSQL flavour,
// `sql_migration_persistence.rs`, `apply_migrations.rs`, `checksum.rs`) and the Prisma CLI's
// `listMigrations.ts`. The Prisma CLI cannot download its schema engine on this machine, so these
// tests check pgtestbed against what that source does rather than against a run of Prisma.
import { createHash } from 'node:crypto'
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { rollbackMigrations } from '../../src/migrations/database/rollback.js'
import { formatMigrationStatus, getMigrationStatus } from '../../src/migrations/database/status.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { col, describeTable, rejection } from '../helpers/catalog.js'
import { withTempDir } from '../helpers/migration-set.js'
import { publicTables, withScratchDatabase } from '../helpers/pg.js'

const BASIC = fileURLToPath(new URL('../fixtures/prisma/basic', import.meta.url))

interface Row {
  id: string
  checksum: string
  finished_at: Date | null
  migration_name: string
  logs: string | null
  rolled_back_at: Date | null
  started_at: Date
  applied_steps_count: number
}

const rowsOf = async (client: pg.Client) =>
  (await client.query<Row>('SELECT * FROM _prisma_migrations ORDER BY started_at, id')).rows

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A copy of the basic Prisma folder in `dir`, to change. */
async function copyBasic(dir: string): Promise<string> {
  const migrations = path.join(dir, 'migrations')
  await cp(BASIC, migrations, { recursive: true })
  return migrations
}

async function addMigration(migrations: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(migrations, name), { recursive: true })
  await writeFile(path.join(migrations, name, 'migration.sql'), sql)
}

describe('Prisma Migrate', () => {
  it("should create _prisma_migrations exactly as Prisma's schema engine does", async () => {
    const set = await discoverMigrations({ migrations: BASIC })
    await withScratchDatabase(async (client) => {
      await applyMigrations(client, set)
      expect(await describeTable(client, 'public._prisma_migrations')).toEqual({
        columns: [
          col('id', 'character varying(36)', true),
          col('checksum', 'character varying(64)', true),
          col('finished_at', 'timestamp with time zone', false),
          col('migration_name', 'character varying(255)', true),
          col('logs', 'text', false),
          col('rolled_back_at', 'timestamp with time zone', false),
          col('started_at', 'timestamp with time zone', true, 'now()'),
          col('applied_steps_count', 'integer', true, '0'),
        ],
        constraints: ['_prisma_migrations_pkey PRIMARY KEY (id)'],
      })
    })
  })

  it('should fill one row per migration as `prisma migrate deploy` does', async () => {
    const set = await discoverMigrations({ migrations: BASIC })
    await withScratchDatabase(async (client, url) => {
      const result = await applyMigrations(client, set)
      expect(result.versionTable).toBe('public._prisma_migrations')
      expect(result.currentVersion).toBe('20240102090000_add_posts')
      const rows = await rowsOf(client)
      expect(rows.map((r) => r.migration_name)).toEqual([
        '20240101120000_init',
        '20240102090000_add_posts',
      ])
      for (const row of rows) {
        const file = path.join(BASIC, row.migration_name, 'migration.sql')
        const sha256 = createHash('sha256')
          .update(await readFile(file))
          .digest('hex')
        expect(row).toMatchObject({
          checksum: sha256,
          logs: null,
          rolled_back_at: null,
          applied_steps_count: 1,
        })
        expect(row.id).toMatch(UUID_V4)
        expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime())
      }
      expect(new Set(rows.map((r) => r.id)).size).toBe(2)
      expect(await publicTables(url)).toEqual(['Post', 'User', '_prisma_migrations'])
      // A second run finds nothing to do.
      expect((await applyMigrations(client, set)).applied).toEqual([])
    })
  })

  it("should leave a failed run's row with its logs, stop the next run until it is resolved, then apply it again", async () => {
    await withTempDir(async (dir) => {
      const migrations = await copyBasic(dir)
      await addMigration(
        migrations,
        '20240103000000_broken',
        'CREATE TABLE "Tag" ("id" INTEGER);\nSELECT * FROM missing_table;\n',
      )
      await withScratchDatabase(async (client, url) => {
        const failure = await rejection(
          applyMigrations(client, await discoverMigrations({ migrations })),
        )
        expect(failure.code).toBe('APPLY_FAILED')
        expect(failure.message).toContain('relation "missing_table" does not exist')
        expect(failure.message).toContain('finished_at NULL and the error in logs')
        // One query string is one implicit transaction: the CREATE TABLE before the error is gone.
        expect(await publicTables(url)).toEqual(['Post', 'User', '_prisma_migrations'])
        const broken = (await rowsOf(client)).at(-1)!
        expect(broken).toMatchObject({
          migration_name: '20240103000000_broken',
          finished_at: null,
          rolled_back_at: null,
          applied_steps_count: 0,
        })
        expect(broken.logs).toContain('Migration name: 20240103000000_broken')
        expect(broken.logs).toContain('Database error code: 42P01')
        expect(broken.logs).toContain('relation "missing_table" does not exist')

        const fixed = 'CREATE TABLE "Tag" ("id" INTEGER);\n'
        await writeFile(path.join(migrations, '20240103000000_broken', 'migration.sql'), fixed)
        const set = await discoverMigrations({ migrations })
        const stopped = await rejection(applyMigrations(client, set))
        expect(stopped.code).toBe('VERSION_TABLE_CONFLICT')
        expect(stopped.message).toContain('records a failed migration')
        expect(stopped.message).toContain('P3009')
        expect(stopped.message).toContain('20240103000000_broken')
        expect(stopped.message).toContain('relation "missing_table" does not exist')
        expect(stopped.fix).toContain(
          'npx prisma migrate resolve --rolled-back 20240103000000_broken',
        )
        const status = await getMigrationStatus(client, set)
        expect(status.dirty).toBe(true)
        const text = formatMigrationStatus(status, { dir: migrations })
        expect(text).toContain('Failed                   -- 20240103000000_broken/migration.sql')
        expect(text).toContain('npx prisma migrate resolve --rolled-back 20240103000000_broken')

        // What `prisma migrate resolve --rolled-back` does: it sets rolled_back_at on the row.
        await client.query(
          `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240103000000_broken'`,
        )
        const again = await applyMigrations(client, set)
        expect(again.applied.map((a) => a.migration.version)).toEqual(['20240103000000_broken'])
        const rows = await rowsOf(client)
        expect(
          rows.map((r) => [r.migration_name, r.rolled_back_at !== null, r.finished_at !== null]),
        ).toEqual([
          ['20240101120000_init', false, true],
          ['20240102090000_add_posts', false, true],
          ['20240103000000_broken', true, false],
          ['20240103000000_broken', false, true],
        ])
        expect(rows[3]?.checksum).toBe(createHash('sha256').update(fixed).digest('hex'))
      })
    })
  })

  it('should report a migration modified after it was applied, but not one whose line endings changed', async () => {
    await withTempDir(async (dir) => {
      const migrations = await copyBasic(dir)
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, await discoverMigrations({ migrations }))
        const init = path.join(migrations, '20240101120000_init', 'migration.sql')
        const posts = path.join(migrations, '20240102090000_add_posts', 'migration.sql')
        // git with core.autocrlf=true checks a file out with CRLF: Prisma still matches it.
        await writeFile(posts, (await readFile(posts, 'utf8')).replace(/\n/g, '\r\n'))
        await writeFile(init, `${await readFile(init, 'utf8')}-- a later edit\n`)
        const status = await getMigrationStatus(client, await discoverMigrations({ migrations }))
        expect(status.migrations.map((e) => [e.migration.version, e.modified ?? false])).toEqual([
          ['20240101120000_init', true],
          ['20240102090000_add_posts', false],
        ])
        const text = formatMigrationStatus(status, { dir: migrations })
        expect(text).toContain(
          '-- 20240101120000_init/migration.sql (modified after it was applied)',
        )
        expect(text).toContain('20240101120000_init was modified after it was applied')
      })
    })
  })

  it('should apply a migration that sorts before applied ones, as deploy does, and call it missing before', async () => {
    await withTempDir(async (dir) => {
      const migrations = await copyBasic(dir)
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, await discoverMigrations({ migrations }))
        await addMigration(
          migrations,
          '20240101130000_late',
          'CREATE TABLE "Late" ("id" INTEGER);\n',
        )
        const set = await discoverMigrations({ migrations })
        const status = await getMigrationStatus(client, set)
        expect(status.missing.map((m) => m.version)).toEqual(['20240101130000_late'])
        const result = await applyMigrations(client, set)
        expect(result.applied.map((a) => a.migration.version)).toEqual(['20240101130000_late'])
      })
    })
  })

  it('should refuse a database that has tables but no _prisma_migrations, as Prisma does (P3005)', async () => {
    const set = await discoverMigrations({ migrations: BASIC })
    await withScratchDatabase(async (client) => {
      await client.query('CREATE TABLE legacy (id int)')
      const error = await rejection(applyMigrations(client, set))
      expect(error.code).toBe('VERSION_TABLE_CONFLICT')
      expect(error.message).toContain(
        'already has tables (legacy) but no public._prisma_migrations',
      )
      expect(error.message).toContain('P3005')
      expect(error.fix).toContain('npx prisma migrate resolve --applied')
    })
  })

  it('should say that Prisma has no down migrations, and roll nothing back', async () => {
    const set = await discoverMigrations({ migrations: BASIC })
    await withScratchDatabase(async (client, url) => {
      await applyMigrations(client, set)
      const error = await rejection(rollbackMigrations(client, set))
      expect(error.code).toBe('ROLLBACK_UNSUPPORTED')
      expect(error.message).toContain('Prisma Migrate has no down migrations')
      expect(error.fix).toContain('prisma migrate resolve --rolled-back')
      expect(await publicTables(url)).toEqual(['Post', 'User', '_prisma_migrations'])
    })
  })
})
