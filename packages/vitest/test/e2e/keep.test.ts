import { projectKeyFor } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import { projectDatabases, runVitest, SERVER_URL, withClient } from './helpers.js'

const { fixture } = useCleanups()

describe('keepOnFailure', () => {
  test('should keep the database of a failed file and print a URL that works, and drop the others', async () => {
    const project = fixture('keep')
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(run.code).toBe(1)
    expect(run.output).toContain('Tests  1 failed | 2 passed (3)')

    const printed =
      /kept the database of test\/fails\.test\.ts because a test failed: (postgres:\/\/\S+)/.exec(
        run.output,
      )
    expect(printed, run.output).not.toBeNull()
    const url = printed![1]!
    // The end-of-run summary lists it too.
    expect(run.stderr).toContain(
      'kept 1 database of failed test file for debugging (keepOnFailure):',
    )
    expect(run.stderr).toContain(`test/fails.test.ts  ${url}`)

    const rows = await withClient(
      url,
      async (client) => (await client.query('SELECT item FROM orders')).rows,
    )
    expect(rows).toEqual([{ item: 'left for debugging' }])

    const left = await projectDatabases(projectKeyFor(project.file('migrations')))
    expect(left.map((d) => `${d.kind}${d.kept ? ' kept' : ''}`).sort()).toEqual([
      'clone kept',
      'template',
    ])
    expect(left.find((d) => d.kind === 'clone')?.name).toBe(new URL(url).pathname.slice(1))
  })

  test('should name the test file that left connections open, and not fail the run on the errors of the sessions the drop ends', async () => {
    const project = fixture('keep')
    const run = await runVitest(project, ['test/leaks.test.ts'], {
      env: { PGTESTBED_URL: SERVER_URL },
    })
    expect(run.output).toMatch(
      /test\/leaks\.test\.ts left 2 connections open to its database pgtestbed_c_\w+; the drop closed them:\n {2}pid \d+ "leaky-client" .*\n {2}pid \d+ "leaky-pool" /,
    )
    expect(run.output).toContain('fix: close the pools and clients your tests open in afterAll')
    // Without the guard: "Errors  2 errors" (57P01 terminating connection…) and exit code 1.
    expect(run.output).not.toContain('terminating connection due to administrator command')
    expect(run.output).not.toMatch(/Unhandled|Errors {2}\d/)
    expect(run.code).toBe(0)
  })

  test('should drop the database of a failed file when keepOnFailure is false', async () => {
    const project = fixture('keep')
    const run = await runVitest(project, [], {
      env: { PGTESTBED_URL: SERVER_URL, FIXTURE_KEEP: 'false' },
    })
    expect(run.code).toBe(1)
    expect(run.output).toContain('Tests  1 failed | 2 passed (3)')
    expect(run.output).not.toContain('kept the database')
    const left = await projectDatabases(projectKeyFor(project.file('migrations')))
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })
})
