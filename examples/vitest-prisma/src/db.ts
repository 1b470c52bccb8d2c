import pg from 'pg'

// Read once, when the module is first imported, as apps usually do. Under Vitest with
// @pgtestbed/vitest, DATABASE_URL already points at the test file's own database by then.
const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is not set')

/** The app's connection pool. */
export const pool = new pg.Pool({ connectionString: url, max: 4 })

/** Closes the pool (tests call it in afterAll, so no connection outlives the test file). */
export function closeDatabase(): Promise<void> {
  return pool.end()
}
