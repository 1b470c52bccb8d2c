import { pool } from '../src/db'
import { countByStatus, enqueue } from '../src/jobs'
import { reportDatabase } from './report-database'

afterAll(() => pool.end())

test('starts with an empty queue whatever the other test files enqueue', async () => {
  reportDatabase('isolation.test.ts')
  expect(await countByStatus('queued')).toBe(0)
  await enqueue('reindex')
  expect(await countByStatus('queued')).toBe(1)
})
