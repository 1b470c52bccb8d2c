import { copyFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import { projectKeyFor } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import { printedError, projectDatabases, readReports, runVitest, SERVER_URL } from './helpers.js'

const { fixture, reportDir } = useCleanups()

// The same fixtures, run by the oldest Vitest the peer range accepts (3.2, on the machine's Node
// 20) and the newest major (5, on Node 24), each from its lane package (test/v3, test/v5).
const LANES = [
  { lane: 'v3', version: '3.2.7', node: 'Node 20' },
  { lane: 'v5', version: '5.1.1', node: 'Node 24' },
] as const

for (const { lane, version, node } of LANES)
  describe(`Vitest ${version} on ${node}`, () => {
    test('should give every test file its own database and leave no clone behind', async () => {
      const project = fixture('happy', lane)
      const out = reportDir()
      const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
      expect(run.output).toContain(`RUN  v${version}`)
      expect(run.output).toContain('Tests  4 passed (4)')
      expect(run.code).toBe(0)
      expect(run.stderr).toMatch(
        /· goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} built ·/,
      )
      const reports = readReports(out)
      expect(new Set(Object.values(reports).map((r) => r.database)).size).toBe(3)
      expect(reports.beta?.markers).toEqual(['beta'])
      const left = await projectDatabases(projectKeyFor(project.file('migrations')))
      expect(left.map((d) => d.kind)).toEqual(['template'])
    })

    test('should fail the run before any test with APPLY_FAILED and the file, printed once', async () => {
      const project = fixture('errors', lane, ['migrations-broken'])
      // Two files failing with the same error: Vitest prints it once, under both.
      copyFileSync(project.file('test/never.test.ts'), project.file('test/never-2.test.ts'))
      const out = reportDir()
      const run = await runVitest(project, [], {
        env: { PGTESTBED_URL: SERVER_URL, FIXTURE_MIGRATIONS: './migrations-broken', E2E_OUT: out },
      })
      expect(run.output).toContain(`RUN  v${version}`)
      const error = printedError(
        run,
        'PgtestbedError [APPLY_FAILED]: failed to apply migration 00002_add_balance.sql',
      )
      expect(run.output).toContain('Test Files  2 failed (2)')
      expect(error).toContain('  file: migrations-broken/00002_add_balance.sql:3')
      expect(existsSync(path.join(out, 'ran.json'))).toBe(false)
    })

    test('should fail the run before any test with VALIDATION_FAILED, the file and the line', async () => {
      const project = fixture('errors', lane, ['migrations-invalid'])
      const run = await runVitest(project, [], {
        env: { PGTESTBED_URL: SERVER_URL, FIXTURE_MIGRATIONS: './migrations-invalid' },
      })
      const error = printedError(run, 'PgtestbedError [VALIDATION_FAILED]')
      expect(error).toContain('migrations-invalid/00002_add_balance.sql:4  error DOWN_BEFORE_UP')
    })

    test('should keep the database of a failed file and print its URL', async () => {
      const project = fixture('keep', lane)
      const run = await runVitest(project, ['test/fails.test.ts'], {
        env: { PGTESTBED_URL: SERVER_URL },
      })
      expect(run.code).toBe(1)
      expect(run.output).toMatch(
        /kept the database of test\/fails\.test\.ts because a test failed: postgres:\/\//,
      )
      const left = await projectDatabases(projectKeyFor(project.file('migrations')))
      expect(left.filter((d) => d.kept)).toHaveLength(1)
    })
  })
