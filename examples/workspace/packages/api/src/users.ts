import { pool } from './db.js'

export interface User {
  id: number
  email: string
  displayName: string | null
}

export async function createUser(email: string, displayName?: string): Promise<User> {
  const { rows } = await pool.query<User>(
    `INSERT INTO users (email, display_name) VALUES ($1, $2)
     RETURNING id::int, email, display_name AS "displayName"`,
    [email, displayName ?? null],
  )
  return rows[0]!
}

export async function listEmails(): Promise<string[]> {
  const { rows } = await pool.query<{ email: string }>('SELECT email FROM users ORDER BY id')
  return rows.map((r) => r.email)
}
