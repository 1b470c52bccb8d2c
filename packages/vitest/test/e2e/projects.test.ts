import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import { printedError, readReports, runVitest, SERVER_URL, type Lane } from './helpers.js'

const { fixture, reportDir } = useCleanups()

const MIGRATIONS = ['a/migrations', 'b/migrations', 'c/migrations']

describe.each<Lane>(['v4', 'v5'])('several projects in one config (Vitest %s)', (lane) => {
  test('should build each project its own template from its own migrations folder', async () => {
    const project = fixture('projects', lane, MIGRATIONS)
    const out = reportDir()
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
    expect(run.output).toContain('Tests  3 passed (3)')
    expect(run.code).toBe(0)
    for (const name of ['a', 'b', 'c']) {
      expect(run.stderr).toMatch(
        new RegExp(
          `\\[pgtestbed ${name}\\] PostgreSQL 15 .* · goose · 1 migration · template pgtestbed_tpl_[0-9a-f]{8} built`,
        ),
      )
    }
    expect(run.stderr).not.toContain('no Vitest project has that name')
    const reports = readReports(out)
    expect(reports.a).toEqual({
      tables: ['alpha', 'goose_db_version'],
      projectName: 'a',
      envVar: 'DATABASE_URL',
      migrationsDir: project.file('a/migrations'),
    })
    expect(reports.b).toMatchObject({
      tables: ['beta', 'goose_db_version'],
      envVar: 'B_DATABASE_URL',
    })
    expect(reports.c).toMatchObject({ tables: ['gamma', 'goose_db_version'], projectName: 'c' })
  })

  test('should stop only the files of the project whose migrations fail, printing its error once', async () => {
    const project = fixture('projects', lane, MIGRATIONS)
    const file = project.file('b/migrations/00001_create_beta.sql')
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('PRIMARY KEY', 'REFERENCES missing (id)'),
    )
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(run.output).toContain('Tests  2 passed (2)')
    expect(run.output).toContain('FAIL  |b| b/beta.test.ts')
    const error = printedError(run, 'PgtestbedError [APPLY_FAILED]: failed to apply migration')
    expect(error).toContain('file: b/migrations/00001_create_beta.sql:2')
  })

  test('should start only the projects selected with --project', async () => {
    const project = fixture('projects', lane, MIGRATIONS)
    const run = await runVitest(project, ['--project', 'a'], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(run.output).toContain('Tests  1 passed (1)')
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('[pgtestbed a]')
    expect(run.stderr).not.toContain('[pgtestbed b]')
    expect(run.stderr).not.toContain('[pgtestbed c]')
    // projects.b is not a typo: b is only filtered out.
    expect(run.stderr).not.toContain('no Vitest project has that name')
  })
})
