import { test } from 'vitest'
import { SERVER_URL, runJest, startJest } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
const scratch = useScratch()
test('run', async () => {
  const { copy, out } = scratch('bad-migration')
  const r = await runJest(copy, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
  console.log('#### run', r.code, '\nSTDOUT\n', r.stdout, '\nSTDERR\n', r.stderr)
})
test('watch', async () => {
  const { copy, out } = scratch('bad-migration')
  const j = startJest(copy, ['--watchAll'], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
  await j.waitFor(/Ran all test suites/)
  writeFileSync(
    path.join(copy.dir, 'migrations/00002_create_invoices.sql'),
    '-- +goose Up\nSELECT * FROM missing_table;\n',
  )
  await j.waitFor(/Ran all test suites/, 2)
  await j.stop()
  console.log('#### watch\n', j.output())
}, 120000)
