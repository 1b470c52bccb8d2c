import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { throwIfErrors } from '../../src/diagnostics.js'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { MigrationApplyError } from '../../src/migrations/database/apply-errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { rollbackMigrations } from '../../src/migrations/database/rollback.js'
import { getMigrationStatus } from '../../src/migrations/database/status.js'
import type { MigrationSet } from '../../src/migrations/types.js'
import { withScratchDatabase } from '../helpers/pg.js'

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/apply')

async function discover(name: string): Promise<MigrationSet> {
  const set = await discoverMigrations({ migrations: path.join(FIXTURES, name) })
  throwIfErrors(set.diagnostics, 'VALIDATION_FAILED', `fixture ${name} is invalid`)
  return set
}

async function relations(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') ORDER BY 1`,
  )
  return result.rows.map((r) => r.name)
}

describe('applying discovered migration folders', () => {
  it('should leave the table a goose Up created even though its Down drops it (incident 1)', async () => {
    const set = await discover('goose-incident-1')
    await withScratchDatabase(async (client) => {
      await applyMigrations(client, set)
      expect(await relations(client)).toEqual([
        'goose_db_version',
        'goose_db_version_pkey',
        'users',
        'users_pkey',
      ])
      const rows = await client.query(
        'SELECT version_id::text AS v, is_applied FROM goose_db_version ORDER BY id',
      )
      expect(rows.rows).toEqual([
        { v: '0', is_applied: true },
        { v: '1', is_applied: true },
      ])
    })
  })

  it('should stop at the failing statement of the 3rd of 4 files with file, line, detail and hint (incident 4)', async () => {
    const set = await discover('goose-incident-4')
    await withScratchDatabase(async (client) => {
      const error = await applyMigrations(client, set).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MigrationApplyError)
      const failure = error as MigrationApplyError
      expect(failure.code).toBe('APPLY_FAILED')
      expect(failure.file).toBe(path.join(FIXTURES, 'goose-incident-4', '00003_add_items.sql'))
      expect(failure.statementNumber).toBe(4)
      expect(failure.statementLine).toBe(19)
      expect(failure.postgres).toMatchObject({
        code: 'P0001',
        message: 'empty item name',
        detail: 'item 2 has an empty name',
        hint: 'fill in staging.name first',
      })
      expect(failure.applied.map((m) => m.version)).toEqual(['1', '2'])
      expect(failure.message.split('\n').slice(0, 6)).toEqual([
        'failed to apply migration 00003_add_items.sql (version 3): statement 4 (line 19) failed: ERROR P0001: empty item name',
        '    detail: item 2 has an empty name',
        '    hint: fill in staging.name first',
        '    where: PL/pgSQL function item_name_check() line 4 at RAISE',
        `  file: ${path.relative(process.cwd(), failure.file)}:19`,
        '  applied before it in this run: 1, 2',
      ])
      // Migrations 1–2 recorded; 3's earlier statements (table, function, trigger) rolled back; 4 never ran.
      const rows = await client.query(
        'SELECT version_id::text AS v FROM goose_db_version ORDER BY id',
      )
      expect(rows.rows.map((r) => r.v)).toEqual(['0', '1', '2'])
      expect(await relations(client)).toEqual([
        'accounts',
        'accounts_pkey',
        'goose_db_version',
        'goose_db_version_pkey',
        'staging',
      ])
      const fn = await client.query("SELECT to_regprocedure('item_name_check()') AS f")
      expect(fn.rows[0].f).toBeNull()
    })
  })

  it('should build a valid index with CREATE INDEX CONCURRENTLY in a NO TRANSACTION file', async () => {
    const set = await discover('goose-no-transaction')
    await withScratchDatabase(async (client) => {
      await applyMigrations(client, set)
      const index = await client.query(
        "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'orders_customer_idx'::regclass",
      )
      expect(index.rows).toEqual([{ valid: true }])
      await rollbackMigrations(client, set, { to: '0' })
      expect(await relations(client)).toEqual(['goose_db_version', 'goose_db_version_pkey'])
    })
  })

  it('should round-trip a golang-migrate folder through up, down and up', async () => {
    const set = await discover('golang-migrate')
    await withScratchDatabase(async (client) => {
      await applyMigrations(client, set)
      await rollbackMigrations(client, set, { to: '0' })
      expect((await client.query('SELECT * FROM schema_migrations')).rows).toEqual([])
      expect(await relations(client)).toEqual(['schema_migrations', 'schema_migrations_pkey'])
      await applyMigrations(client, set)
      const rows = await client.query(
        'SELECT version::text AS version, dirty FROM schema_migrations',
      )
      expect(rows.rows).toEqual([{ version: '2', dirty: false }])
      expect((await getMigrationStatus(client, set)).pending).toEqual([])
    })
  })

  it('should apply a dbmate folder with a transaction:false block and roll it back', async () => {
    const set = await discover('dbmate')
    await withScratchDatabase(async (client) => {
      await applyMigrations(client, set)
      expect(await relations(client)).toContain('teams_name_idx')
      await rollbackMigrations(client, set)
      expect(await relations(client)).not.toContain('teams_name_idx')
      const rows = await client.query('SELECT version FROM schema_migrations')
      expect(rows.rows).toEqual([{ version: '20240101090000' }])
    })
  })

  it("should record drizzle's hash of the whole file and the journal when", async () => {
    const set = await discover('drizzle-journal')
    await withScratchDatabase(async (client) => {
      await applyMigrations(client, set)
      const rows = await client.query(
        'SELECT hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations ORDER BY id',
      )
      // The first hash is the test vector from the drizzle reference (SHA-256 of the file text).
      expect(rows.rows[0]).toEqual({
        hash: '2cdeae4fe03eb65a5d24f02ac9268dcb24525a6fe8e64c8d55f54559a5fb4952',
        created_at: '1718000000000',
      })
      expect(rows.rows[1]?.created_at).toBe('1718000500000')
      expect(await relations(client)).toEqual(['i', 't', 't_pkey'])
    })
  })
})
