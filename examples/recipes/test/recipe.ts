import { fileURLToPath } from 'node:url'
import {
  cloneDatabase,
  loadConfig,
  projectKeyFor,
  startTestbed,
  sweep,
  type Testbed,
} from '@pgtestbed/core'
import pg from 'pg'
import { expect } from 'vitest'

/**
 * The PostgreSQL server the recipes build templates on: PGTESTBED_TEST_URL, as the core
 * integration tests use, else CI's server at 127.0.0.1:5432.
 */
export const SERVER_URL =
  process.env.PGTESTBED_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** The folder of a recipe (`knex`, `kysely`…), where its pgtestbed.config.* lives. */
function recipeDir(name: string): string {
  return fileURLToPath(new URL(`../${name}`, import.meta.url))
}

/** Starts a testbed with the `migrate` option of the recipe's own pgtestbed.config.*. */
async function startRecipe(name: string): Promise<Testbed> {
  const dir = recipeDir(name)
  const { config } = await loadConfig({ cwd: dir })
  const options = { cwd: dir, server: 'url', url: SERVER_URL, sweep: false } as const
  return startTestbed({ ...options, ...(config.migrate ? { migrate: config.migrate } : {}) })
}

/** Drops every database pgtestbed built for the recipe (its templates and leftovers). */
export async function dropRecipeDatabases(name: string): Promise<void> {
  const project = projectKeyFor(recipeDir(name))
  await sweep(SERVER_URL, { project, keepTemplates: 0, templateMinAgeMs: 0 })
}

/** Runs one query on a connection of its own. */
export async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/** The tables of the `public` schema, sorted. */
export async function tables(url: string): Promise<string[]> {
  const found = await rows<{ t: string }>(
    url,
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  )
  return found.map((r) => r.t)
}

/**
 * Builds the recipe's template (or reuses it), clones it, and hands the clone's URL to `check`;
 * then starts again and expects the template reused. Returns what `check` returned.
 */
export async function buildTwice<T>(name: string, check: (url: string) => Promise<T>): Promise<T> {
  const first = await startRecipe(name)
  let result: T
  try {
    expect(first.template.status).toBe('built')
    await using db = await cloneDatabase(first.info, { label: `${name}.test.ts` })
    result = await check(db.url)
  } finally {
    await first.close()
  }
  const second = await startRecipe(name)
  await second.close()
  expect(second.template).toMatchObject({ status: 'reused', name: first.template.name })
  return result
}
