import { currentTestFile, noTestDatabase } from '@pgtestbed/core/worker'
import type pg from 'pg'
import { test as base, type TestAPI } from 'vitest'
import './provided.js'

/** The `db` fixture: the current test file's own database. */
export interface PgtestbedDatabase {
  /** Its connection URL (the same as `process.env.DATABASE_URL`, or your `envVar`). */
  url: string
  /** Its name (`pgtestbed_c_…`). */
  name: string
  /**
   * A `pg` pool connected to it, shared by the file's tests and closed after the file (before the
   * database is dropped). Its connections carry `vitest <test file>` as `application_name`.
   */
  pool: pg.Pool
}

/** Fixtures added by {@link test}. */
export interface PgtestbedFixtures {
  /** The test file's database (file-scoped: one per file, created on first use). */
  db: PgtestbedDatabase
}

/** Connections the `db` fixture's pool opens at most. */
export const DEFAULT_DB_POOL_MAX = 5

/**
 * Vitest's `test`, extended with a file-scoped `db` fixture. Import it instead of `test` from
 * `vitest` in files that want a ready `pg` pool. Needs the `pgtestbed()` plugin in the config.
 *
 * @example
 * import { expect } from 'vitest'
 * import { test } from '@pgtestbed/vitest/test'
 *
 * test('should store a user', async ({ db }) => {
 *   await db.pool.query("INSERT INTO users (email) VALUES ('a@example.com')")
 *   const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM users')
 *   expect(rows[0].n).toBe(1)
 * })
 */
export const test: TestAPI<PgtestbedFixtures> = base.extend<PgtestbedFixtures>({
  db: [
    // biome-ignore lint/correctness/noEmptyPattern: Vitest reads the fixtures a fixture uses from this pattern
    async ({}, use) => {
      const file = currentTestFile()
      if (!file) {
        throw noTestDatabase(
          'the db fixture found no database',
          "add pgtestbed() to this project's plugins in vitest.config",
        )
      }
      const { pool, close } = file.openPool(DEFAULT_DB_POOL_MAX)
      try {
        await use({ url: file.url, name: file.name, pool })
      } finally {
        await close()
      }
    },
    { scope: 'file' },
  ],
})
