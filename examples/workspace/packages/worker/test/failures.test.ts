import { pool } from '../src/db'
import { countByStatus, enqueue, processNext } from '../src/jobs'
import { reportDatabase } from './report-database'

afterAll(() => pool.end())

test('records a failing job with its error instead of losing it', async () => {
  reportDatabase('failures.test.ts')
  await enqueue('charge-card')
  await processNext(async () => {
    throw new Error('card declined')
  })
  expect(await countByStatus('failed')).toBe(1)
  const { rows } = await pool.query('SELECT attempts, last_error FROM jobs')
  expect(rows).toEqual([{ attempts: 1, last_error: 'card declined' }])
})
