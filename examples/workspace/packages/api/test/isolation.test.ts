import { afterAll, expect, test } from 'vitest'
import { pool } from '../src/db.js'
import { createUser, listEmails } from '../src/users.js'
import { reportDatabase } from './report-database.js'

afterAll(() => pool.end())

test('should not see rows written by the other test files', async () => {
  reportDatabase('isolation.test.ts')
  await createUser('isolated@example.com')
  expect(await listEmails()).toEqual(['isolated@example.com'])
})
