import { pool } from './db.js'

export async function placeOrder(userId: number, totalCents: number): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    'INSERT INTO orders (user_id, total_cents) VALUES ($1, $2) RETURNING id::int',
    [userId, totalCents],
  )
  return rows[0]!.id
}

export async function totalSpent(userId: number): Promise<number> {
  const { rows } = await pool.query<{ total: number }>(
    'SELECT coalesce(sum(total_cents), 0)::int AS total FROM orders WHERE user_id = $1',
    [userId],
  )
  return rows[0]!.total
}
