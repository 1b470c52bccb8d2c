import { afterAll, describe, expect, test } from 'vitest'
import { closeDatabase, pool } from '../src/db.js'
import { addCustomer, deleteCustomer, ordersOf, placeOrder } from '../src/shop.js'

afterAll(() => closeDatabase())

describe('customers', () => {
  test('should start from an empty database of its own, ids from 1', async () => {
    const ada = await addCustomer('ada@example.com', 'Ada Lovelace')
    expect(ada).toEqual({ id: 1, email: 'ada@example.com', name: 'Ada Lovelace' })
  })

  test('should refuse a second customer with the same email (the unique index)', async () => {
    await expect(addCustomer('ada@example.com', 'Someone Else')).rejects.toMatchObject({
      code: '23505',
      constraint: 'Customer_email_key',
    })
  })

  test("should delete a customer's orders with the customer (ON DELETE CASCADE)", async () => {
    const grace = await addCustomer('grace@example.com', 'Grace Hopper')
    await placeOrder(grace.id, 1200)
    await deleteCustomer(grace.id)
    expect(await ordersOf(grace.id)).toEqual([])
  })

  test('should find the history Prisma writes: _prisma_migrations, one finished row per migration', async () => {
    const history = await pool.query<{ migration_name: string; applied_steps_count: number }>(
      'SELECT migration_name, applied_steps_count FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY started_at',
    )
    expect(history.rows).toEqual([
      { migration_name: '20240301090000_init', applied_steps_count: 1 },
      { migration_name: '20240305143000_add_orders', applied_steps_count: 1 },
    ])
  })
})
