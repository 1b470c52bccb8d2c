import { randomBytes } from 'node:crypto'
import { SERVER_URL, withClient } from '@pgtestbed/test-support'
import pg from 'pg'

/**
 * The PostgreSQL server integration tests use. CI and this machine run one at 127.0.0.1:5432
 * (trust auth, user postgres); override with PGTESTBED_TEST_URL.
 */
export const TEST_SERVER_URL = SERVER_URL

/** The URL of database `name` on the test server. */
export function testDatabaseUrl(name: string): string {
  const url = new URL(TEST_SERVER_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** Runs one query on a connection of its own to `url` and returns the rows. */
export async function queryRows<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
): Promise<T[]> {
  return withClient(url, async (client) => (await client.query<T>(sql)).rows)
}

/** The names of the tables in the `public` schema of the database at `url`, sorted. */
export async function publicTables(url: string): Promise<string[]> {
  const rows = await queryRows<{ t: string }>(
    url,
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  )
  return rows.map((r) => r.t)
}

/** Runs `fn` with a client connected to the test server's maintenance database. */
export function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(TEST_SERVER_URL, fn)
}

/**
 * Creates an empty scratch database (named `pgtestbed_test_<random>`, never touched by
 * pgtestbed's sweeper because it has no ownership record), runs `fn` with a connected client,
 * and drops it afterwards whatever happens.
 */
export async function withScratchDatabase<T>(
  fn: (client: pg.Client, url: string, name: string) => Promise<T>,
): Promise<T> {
  const name = `pgtestbed_test_${randomBytes(6).toString('hex')}`
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`))
  const url = testDatabaseUrl(name)
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    return await fn(client, url, name)
  } finally {
    await client.end().catch(() => {})
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
  }
}
