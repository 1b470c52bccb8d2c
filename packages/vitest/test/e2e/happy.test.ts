import { writeFileSync } from 'node:fs'
import { projectKeyFor } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import { projectDatabases, readReports, runVitest, SERVER_URL } from './helpers.js'

const HOST_PORT = new URL(SERVER_URL).host.replace(/\./g, '\\.')

const { fixture, reportDir } = useCleanups()

describe('a project with the plugin, on the machine PostgreSQL (PGTESTBED_URL)', () => {
  test('should give every test file its own database, set before the file imports, and leave no clone behind', async () => {
    const project = fixture('happy')
    const out = reportDir()
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })

    expect(run.output).toContain('Test Files  3 passed (3)')
    expect(run.output).toContain('Tests  4 passed (4)')
    expect(run.code).toBe(0)
    // One summary line: server, format, migrations, template and time.
    expect(run.stderr).toMatch(
      new RegExp(
        String.raw`\[pgtestbed\] PostgreSQL 15 at ${HOST_PORT} · goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} built · 1 warning · \d+ ms`,
      ),
    )
    // The lint warning is one line for the run, naming the command that shows the details.
    const summary =
      '1 warning about the migrations in 1 file (the run goes on; `npx pgtestbed check` shows them)'
    expect(run.stderr.split(summary).length - 1).toBe(1)
    expect(run.stderr).not.toContain('LINT_LOCK_TIMEOUT_MISSING')

    const reports = readReports(out)
    expect(Object.keys(reports).sort()).toEqual(['alpha', 'beta', 'gamma'])
    const databases = Object.values(reports).map((r) => r.database)
    expect(new Set(databases).size).toBe(3)
    // Each file saw only its own rows, although the three files wrote at the same time.
    expect(reports.alpha?.markers).toEqual(['alpha', 'alpha-2'])
    expect(reports.beta?.markers).toEqual(['beta'])
    expect(reports.gamma?.markers).toEqual(['gamma'])
    expect(reports.gamma?.server).toBe('url')
    // Sessions name their test file (PGAPPNAME), so pg_stat_activity tells who holds what.
    expect(reports.alpha?.applicationName).toBe('vitest test/alpha.test.ts')

    // Nothing but the template is left on the server.
    const left = await projectDatabases(projectKeyFor(project.file('migrations')))
    expect(left.map((d) => d.kind)).toEqual(['template'])
    expect(left[0]?.name).toBe(reports.gamma?.template)
  })

  test('should reuse the template on the next run', async () => {
    const project = fixture('happy')
    const env = { PGTESTBED_URL: SERVER_URL, E2E_OUT: reportDir() }
    const first = await runVitest(project, [], { env })
    expect(first.code).toBe(0)
    const second = await runVitest(project, ['test/alpha.test.ts'], { env })
    expect(second.output).toContain('Tests  1 passed (1)')
    expect(second.stderr).toMatch(
      /· goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} reused ·/,
    )
    expect(second.code).toBe(0)
  })
})

describe('test files that fail to load', () => {
  test('should drop the database of a file that failed before its tests ran (its hooks never run)', async () => {
    const project = fixture('happy')
    writeFileSync(
      project.file('test/broken.test.ts'),
      "import { test } from 'vitest'\nimport { nothing } from './missing.js'\ntest('never', () => nothing())\n",
    )
    const run = await runVitest(project, [], {
      env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: reportDir() },
    })
    expect(run.code).toBe(1)
    expect(run.output).toContain('FAIL  test/broken.test.ts')
    expect(run.output).toContain('Tests  4 passed (4)')
    expect(run.output).not.toContain('kept the database')
    const left = await projectDatabases(projectKeyFor(project.file('migrations')))
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })
})

describe('options from pgtestbed.config.ts', () => {
  test('should read the config file next to the project and let plugin options win', async () => {
    const project = fixture('config-file', 'v4', ['db/migrations'])
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(run.output).toContain('Tests  1 passed (1)')
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(
      /· dbmate · 1 migration · template pgtestbed_tpl_[0-9a-f]{8} built ·/,
    )
  })
})
