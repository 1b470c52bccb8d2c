import pg from 'pg'

// Each test file gets DATABASE_URL pointing at a database of its own, before the file is imported.
export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
