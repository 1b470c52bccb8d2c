import { afterAll, expect, test } from 'vitest'
import { pool } from '../src/db.js'
import { placeOrder, totalSpent } from '../src/orders.js'
import { createUser } from '../src/users.js'
import { reportDatabase } from './report-database.js'

afterAll(() => pool.end())

test('should sum the orders of a user', async () => {
  reportDatabase('orders.test.ts')
  const user = await createUser('grace@example.com')
  await placeOrder(user.id, 1250)
  await placeOrder(user.id, 750)
  expect(await totalSpent(user.id)).toBe(2000)
})

test('should refuse a negative total (a CHECK from the migrations)', async () => {
  const user = await createUser('linus@example.com')
  await expect(placeOrder(user.id, -1)).rejects.toThrow(/orders_total_cents_check/)
})
