// pgtestbed reads node-pg-migrate's SQL migrations itself (format 'node-pg-migrate'). Here the
// real node-pg-migrate runs on the same folder: the pgmigrations rows and the schema must match,
// and each tool must take over a database the other one migrated.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { applyMigrations, discoverMigrations, getMigrationStatus } from '@pgtestbed/core'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import { rows, SERVER_URL, tables } from './recipe.js'

/** The SQL migrations core's own tests read (four files: a 17-digit name, a Down-first file…). */
const FOLDER = fileURLToPath(
  new URL('../../../packages/core/test/fixtures/node-pg-migrate/basic', import.meta.url),
)
const BIN = fileURLToPath(new URL('../node_modules/.bin/node-pg-migrate', import.meta.url))
const run = promisify(execFile)

/** Runs the real node-pg-migrate CLI (its defaults: order check and one transaction) on `url`. */
async function nodePgMigrate(url: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(BIN, [...args, '--migrations-dir', FOLDER], {
    env: { ...process.env, DATABASE_URL: url },
  })
  return stdout
}

/** A scratch database for `fn`, dropped afterwards whatever happens. */
async function withDatabase(fn: (url: string, client: pg.Client) => Promise<void>): Promise<void> {
  const name = `pgtestbed_recipe_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE "${name}"`)
  const url = new URL(SERVER_URL)
  url.pathname = `/${name}`
  const client = new pg.Client({ connectionString: url.toString() })
  try {
    await client.connect()
    await fn(url.toString(), client)
  } finally {
    await client.end().catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.end()
  }
}

const history = (url: string) =>
  rows<{ id: number; name: string; has_run_on: boolean }>(
    url,
    'SELECT id, name, run_on IS NOT NULL AS has_run_on FROM pgmigrations ORDER BY run_on, id',
  )

/** Every column of the public schema, to compare two databases' schemas. */
const columns = (url: string) =>
  rows(
    url,
    `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  )

const NAMES = [
  '1700000000000_create-users',
  '20231115000000000_add-posts',
  '1700006400001_tags',
  '1700006500000_seed-roles',
]

describe('node-pg-migrate SQL migrations, read by pgtestbed and run by node-pg-migrate', () => {
  test('should write the same pgmigrations rows and the same schema as node-pg-migrate up', async () => {
    const set = await discoverMigrations({ migrations: FOLDER })
    expect(set.format).toBe('node-pg-migrate')
    await withDatabase(async (ours, client) => {
      await applyMigrations(client, set)
      await withDatabase(async (theirs) => {
        await nodePgMigrate(theirs, 'up')
        expect(await history(theirs)).toEqual(
          NAMES.map((name, i) => ({ id: i + 1, name, has_run_on: true })),
        )
        expect(await history(ours)).toEqual(await history(theirs))
        expect(await columns(ours)).toEqual(await columns(theirs))
        expect(await tables(ours)).toEqual(['pgmigrations', 'posts', 'tags', 'users'])
      })
    })
  })

  test('should let node-pg-migrate take over a database pgtestbed migrated, and roll it back', async () => {
    const set = await discoverMigrations({ migrations: FOLDER })
    await withDatabase(async (url, client) => {
      await applyMigrations(client, set, { to: '20231115000000000_add-posts' })
      expect(await nodePgMigrate(url, 'up')).toContain('1700006400001_tags')
      expect((await history(url)).map((r) => r.name)).toEqual(NAMES)
      await client.query(`DELETE FROM pgmigrations WHERE name = '1700006500000_seed-roles'`)
      await nodePgMigrate(url, 'down')
      expect(await tables(url)).toEqual(['pgmigrations', 'posts', 'users'])
    })
  })

  test('should take over a database node-pg-migrate migrated, and refuse what its order check refuses', async () => {
    const set = await discoverMigrations({ migrations: FOLDER })
    await withDatabase(async (url, client) => {
      await nodePgMigrate(url, 'up', '2')
      const result = await applyMigrations(client, set)
      expect(result.applied.map((a) => a.migration.version)).toEqual(NAMES.slice(2))
      expect((await history(url)).map((r) => r.name)).toEqual(NAMES)
      const status = await getMigrationStatus(client, set)
      expect(status.pending).toEqual([])
      // A name node-pg-migrate ran out of order makes both tools refuse the next run.
      await client.query(
        `UPDATE pgmigrations SET run_on = run_on - interval '1 day' WHERE name = '1700006400001_tags'`,
      )
      const theirs = await nodePgMigrate(url, 'up').then(
        () => '',
        (error: { stderr?: string; stdout?: string }) =>
          `${error.stdout ?? ''}${error.stderr ?? ''}`,
      )
      expect(theirs).toContain('is preceding already run migration')
      const ours = await applyMigrations(client, set).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(ours?.message).toContain(
        'Not run migration 1700000000000_create-users is preceding already run migration 1700006400001_tags',
      )
    })
  })
})
