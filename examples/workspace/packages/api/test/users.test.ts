import { afterAll, expect, test } from 'vitest'
import { pool } from '../src/db.js'
import { createUser, listEmails } from '../src/users.js'
import { reportDatabase } from './report-database.js'

afterAll(() => pool.end())

test('should start from the migrated schema with no rows', async () => {
  reportDatabase('users.test.ts')
  expect(await listEmails()).toEqual([])
})

test('should store a user with the column added by the latest migration', async () => {
  const user = await createUser('ada@example.com', 'Ada')
  expect(user).toEqual({ id: 1, email: 'ada@example.com', displayName: 'Ada' })
  await expect(createUser('ada@example.com')).rejects.toThrow(/duplicate key value/)
})
