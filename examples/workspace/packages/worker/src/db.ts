import { Pool } from 'pg'

// Each test file gets DATABASE_URL pointing at a database of its own, before the file is loaded.
export const pool = new Pool({ connectionString: process.env.DATABASE_URL })
