import { pool } from '../src/db'
import { countByStatus, enqueue, processNext } from '../src/jobs'
import { reportDatabase } from './report-database'

afterAll(() => pool.end())

test('processes queued jobs in order and marks them done', async () => {
  reportDatabase('process-jobs.test.ts')
  await enqueue('send-email', { to: 'ada@example.com' })
  await enqueue('send-email', { to: 'grace@example.com' })
  const seen: unknown[] = []
  while (await processNext(async (_kind, payload) => void seen.push(payload))) {}
  expect(seen).toEqual([{ to: 'ada@example.com' }, { to: 'grace@example.com' }])
  expect(await countByStatus('done')).toBe(2)
})
