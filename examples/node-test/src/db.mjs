import pg from 'pg'

// Read once, at import, like a real app: pgtestbed sets DATABASE_URL before the test file loads.
export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })

export async function addCustomer(email, name) {
  const { rows } = await pool.query(
    'INSERT INTO customers (email, name) VALUES ($1, $2) RETURNING id',
    [email, name],
  )
  return rows[0].id
}

export async function bill(customerId, cents) {
  await pool.query('INSERT INTO invoices (customer_id, cents) VALUES ($1, $2)', [customerId, cents])
}

export async function totalCents(customerId) {
  const { rows } = await pool.query(
    'SELECT coalesce(sum(cents), 0)::int AS total FROM invoices WHERE customer_id = $1',
    [customerId],
  )
  return rows[0].total
}
