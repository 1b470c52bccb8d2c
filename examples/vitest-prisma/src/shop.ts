import { pool } from './db.js'

/** A customer row. */
export interface Customer {
  id: number
  email: string
  name: string
}

/** An order row. */
export interface Order {
  id: number
  customerId: number
  status: 'PENDING' | 'PAID' | 'SHIPPED'
  totalCents: number
}

/** Adds a customer; the email is unique. */
export async function addCustomer(email: string, name: string): Promise<Customer> {
  const result = await pool.query<Customer>(
    'INSERT INTO "Customer" (email, name) VALUES ($1, $2) RETURNING id, email, name',
    [email, name],
  )
  return result.rows[0]!
}

/** Places an order; it starts PENDING (the column's default). */
export async function placeOrder(customerId: number, totalCents: number): Promise<Order> {
  const result = await pool.query<Order>(
    `INSERT INTO "Order" ("customerId", "totalCents") VALUES ($1, $2)
     RETURNING id, "customerId", status, "totalCents"`,
    [customerId, totalCents],
  )
  return result.rows[0]!
}

/** Moves an order to another status of the OrderStatus enum. */
export async function setStatus(orderId: number, status: string): Promise<void> {
  await pool.query('UPDATE "Order" SET status = $2 WHERE id = $1', [orderId, status])
}

/** The customer's orders, oldest first. */
export async function ordersOf(customerId: number): Promise<Order[]> {
  const result = await pool.query<Order>(
    'SELECT id, "customerId", status, "totalCents" FROM "Order" WHERE "customerId" = $1 ORDER BY id',
    [customerId],
  )
  return result.rows
}

/** Deletes a customer; their orders go with them (ON DELETE CASCADE). */
export async function deleteCustomer(customerId: number): Promise<void> {
  await pool.query('DELETE FROM "Customer" WHERE id = $1', [customerId])
}
