import knex from 'knex'

/**
 * The app's Knex instance. It reads DATABASE_URL when this module is imported: under Jest,
 * @pgtestbed/jest has already pointed it at the test file's own database.
 */
export const db = knex({
  client: 'pg',
  connection: process.env.DATABASE_URL,
  pool: { min: 0, max: 4 },
})
