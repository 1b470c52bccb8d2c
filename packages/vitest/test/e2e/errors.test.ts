import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { discoverMigrations, projectKeyFor, writeManifest } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import { printedError, projectDatabases, runVitest, SERVER_URL } from './helpers.js'

const { fixture, reportDir } = useCleanups()

describe('problems found before any test', () => {
  test('should fail the run with VALIDATION_FAILED, the file, the line and the fix, and run no test', async () => {
    const project = fixture('errors', 'v4', ['migrations-invalid'])
    const out = reportDir()
    const run = await runVitest(project, [], {
      env: { PGTESTBED_URL: SERVER_URL, FIXTURE_MIGRATIONS: './migrations-invalid', E2E_OUT: out },
    })
    const error = printedError(
      run,
      'PgtestbedError [VALIDATION_FAILED]: the migrations in migrations-invalid have problems: 1 error',
    )
    expect(error).toContain('migrations-invalid/00002_add_balance.sql:4  error DOWN_BEFORE_UP')
    expect(error).toContain('fix: Put the Up section first')
    expect(run.output).toContain('FAIL  test/never.test.ts')
    expect(existsSync(path.join(out, 'ran.json'))).toBe(false)
    expect(run.output).not.toContain('✓')
  })

  test('should fail the run with APPLY_FAILED naming the file, line and statement, and leave no build database', async () => {
    const project = fixture('errors', 'v4', ['migrations-broken'])
    const out = reportDir()
    const run = await runVitest(project, [], {
      env: { PGTESTBED_URL: SERVER_URL, FIXTURE_MIGRATIONS: './migrations-broken', E2E_OUT: out },
    })
    const error = printedError(
      run,
      'PgtestbedError [APPLY_FAILED]: failed to apply migration 00002_add_balance.sql (version 2): statement 2 (line 3) failed: ERROR 42P01: relation "acounts" does not exist',
    )
    expect(error).toContain('  file: migrations-broken/00002_add_balance.sql:3')
    expect(error).toContain('> 3 | UPDATE acounts SET balance = 1;')
    expect(error).toContain('fix: fix 00002_add_balance.sql (statement 2, line 3) and run again')
    expect(existsSync(path.join(out, 'ran.json'))).toBe(false)
    expect(await projectDatabases(projectKeyFor(project.file('migrations-broken')))).toEqual([])
  })

  test('should fail the run with MANIFEST_MISMATCH when a migration is missing from pgtestbed.sum', async () => {
    const project = fixture('errors', 'v4', ['migrations-ok'])
    const dir = project.file('migrations-ok')
    await writeManifest(await discoverMigrations({ migrations: dir }))
    writeFileSync(
      path.join(dir, '00002_add_owner.sql'),
      '-- +goose Up\nALTER TABLE accounts ADD COLUMN owner text;\n\n-- +goose Down\nALTER TABLE accounts DROP COLUMN owner;\n',
    )
    const out = reportDir()
    const run = await runVitest(project, [], {
      env: { PGTESTBED_URL: SERVER_URL, FIXTURE_MIGRATIONS: './migrations-ok', E2E_OUT: out },
    })
    const error = printedError(
      run,
      'PgtestbedError [MANIFEST_MISMATCH]: the migrations in migrations-ok differ from the manifest',
    )
    expect(error).toMatch(/migrations-ok\/00002_add_owner\.sql.*error MANIFEST_UNLISTED/)
    expect(error).toContain('pgtestbed manifest')
    expect(existsSync(path.join(out, 'ran.json'))).toBe(false)
  })

  test('should name a mistyped plugin option with INVALID_OPTIONS before anything starts', async () => {
    const project = fixture('errors', 'v4', ['migrations-ok'])
    writeFileSync(
      project.file('vitest.config.ts'),
      "import { pgtestbed } from '@pgtestbed/vitest'\nexport default { plugins: [pgtestbed({ migrations: './migrations-ok', keepOnFailur: false } as never)] }\n",
    )
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL } })
    const error = printedError(
      run,
      'PgtestbedError [INVALID_OPTIONS]: invalid pgtestbed config in the pgtestbed() plugin options',
    )
    expect(error).toContain('unknown key `keepOnFailur` (did you mean `keepOnFailure`?)')
  })
})
