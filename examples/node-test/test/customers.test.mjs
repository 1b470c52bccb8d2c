import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { addCustomer, pool } from '../src/db.mjs'

after(() => pool.end())

test('starts from an empty table', async () => {
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM customers')
  assert.equal(rows[0].n, 0)
})

test('refuses a second customer with the same email', async () => {
  await addCustomer('ada@example.com', 'Ada')
  await assert.rejects(addCustomer('ada@example.com', 'Ada again'), { code: '23505' })
})
