import { afterAll, expect, test } from 'vitest'
import { closeDatabase, pool } from '../src/db.js'

afterAll(() => closeDatabase())

test('should see only its own rows: this file has a database of its own', async () => {
  await pool.query("INSERT INTO authors (name, email) VALUES ('Ada Lovelace', 'ada@example.com')")
  const { rows } = await pool.query('SELECT name, email FROM authors')
  expect(rows).toEqual([{ name: 'Ada Lovelace', email: 'ada@example.com' }])
})
