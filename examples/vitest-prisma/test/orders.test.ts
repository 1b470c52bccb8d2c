import { afterAll, describe, expect, test } from 'vitest'
import { closeDatabase } from '../src/db.js'
import { addCustomer, ordersOf, placeOrder, setStatus } from '../src/shop.js'

afterAll(() => closeDatabase())

describe('orders', () => {
  // customers.test.ts adds ada@example.com too, at the same time: each file has its own database.
  test('should start PENDING and move through the OrderStatus enum', async () => {
    const ada = await addCustomer('ada@example.com', 'Ada Lovelace')
    const order = await placeOrder(ada.id, 4999)
    expect(order.status).toBe('PENDING')
    await setStatus(order.id, 'PAID')
    expect((await ordersOf(ada.id)).map((o) => o.status)).toEqual(['PAID'])
  })

  test('should refuse a status the enum does not have', async () => {
    const grace = await addCustomer('grace@example.com', 'Grace Hopper')
    const order = await placeOrder(grace.id, 100)
    await expect(setStatus(order.id, 'LOST')).rejects.toMatchObject({ code: '22P02' })
  })

  test('should need an existing customer (the foreign key)', async () => {
    await expect(placeOrder(999, 100)).rejects.toMatchObject({
      code: '23503',
      constraint: 'Order_customerId_fkey',
    })
  })
})
