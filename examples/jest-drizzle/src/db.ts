import { Pool } from 'pg'

/**
 * The app's connection pool. It reads DATABASE_URL when this module is imported: under Jest,
 * @pgtestbed/jest has already pointed it at the test file's own database.
 */
export const pool = new Pool({ connectionString: process.env.DATABASE_URL })
