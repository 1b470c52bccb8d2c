import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { addCustomer, bill, pool, totalCents } from '../src/db.mjs'

after(() => pool.end())

test('sums the invoices of a customer', async () => {
  // The same email as in customers.test.mjs: this file has a database of its own.
  const id = await addCustomer('ada@example.com', 'Ada')
  await bill(id, 1200)
  await bill(id, 300)
  assert.equal(await totalCents(id), 1500)
})

test('refuses an invoice of zero', async () => {
  const id = await addCustomer('grace@example.com', 'Grace')
  await assert.rejects(bill(id, 0), { code: '23514' })
})
