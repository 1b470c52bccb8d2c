import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { discoverMigrations, writeManifest } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { databasesOf, readRows } from '../helpers/databases.js'
import { runJest, SERVER_URL } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'

const scratch = useScratch()

describe.each([30, 29] as const)('a migration that fails on Jest %i', (lane) => {
  test('should fail the run before any test with the code, the file, the line and the fix', async () => {
    const { copy, out } = scratch('bad-migration', lane)
    const result = await runJest(copy, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'pgtestbed APPLY_FAILED: failed to apply migration 00002_create_invoices.sql (version 2)',
    )
    expect(result.stderr).toContain('ERROR 42P01: relation "acounts" does not exist')
    expect(result.stderr).toContain('  file: migrations/00002_create_invoices.sql:2')
    expect(result.stderr).toContain('fix: fix 00002_create_invoices.sql (statement 1, line 2)')
    // Printed once.
    expect(result.stderr.match(/relation "acounts" does not exist/g)).toHaveLength(1)
    // No stack trace noise, and no test ran.
    expect(result.stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m)
    expect(result.stderr).not.toContain('Tests:')
    expect(existsSync(path.join(out, 'ran'))).toBe(false)
    // The failed build left nothing (no template, no build database).
    expect(await databasesOf(path.join(copy.dir, 'migrations'))).toEqual([])
  })
})

describe('declared manifest', () => {
  test('should fail before any test when a migration is not in pgtestbed.sum', async () => {
    const { copy, out } = scratch('manifest')
    const migrations = path.join(copy.dir, 'migrations')
    await writeManifest(await discoverMigrations({ migrations }))
    writeFileSync(
      path.join(migrations, '00003_add_name.sql'),
      '-- +goose Up\nALTER TABLE accounts ADD COLUMN name text;\n-- +goose Down\nALTER TABLE accounts DROP COLUMN name;\n',
    )
    const result = await runJest(copy, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      'pgtestbed MANIFEST_MISMATCH: the migrations in migrations differ from the manifest',
    )
    expect(result.stderr).toMatch(/migrations\/00003_add_name\.sql.*error MANIFEST_UNLISTED/)
    expect(result.stderr).toContain('pgtestbed manifest --write')
    expect(result.stderr).not.toContain('Tests:')
    expect(existsSync(path.join(out, 'ran'))).toBe(false)
  })
})

describe('a test file that fails', () => {
  test('should keep its database, print a URL that works, and drop the others', async () => {
    const { copy } = scratch('failing')
    const migrations = path.join(copy.dir, 'migrations')
    const result = await runJest(copy, ['--maxWorkers=2'], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(result.code).toBe(1)
    // Jest finished the run and reported it (a leaked connection did not crash anything).
    expect(result.stderr).toMatch(/Test Suites: 2 failed, 2 passed, 4 total/)

    const kept =
      /kept the database of test\/fails\.test\.js because a test failed: (postgres:\/\/\S+)\n\s+drop it with DROP DATABASE "(pgtestbed_c_\w+)"/.exec(
        result.stderr,
      )
    expect(kept).not.toBeNull()
    const [, url, name] = kept!
    expect(await readRows(url!, 'SELECT note FROM events')).toEqual([{ note: 'kept evidence' }])
    expect(result.stderr).toContain(`drop it with DROP DATABASE "${name}"`)
    expect(result.stderr).toMatch(
      /kept the database of test\/hook-fails\.test\.js because a test failed/,
    )

    const left = await databasesOf(migrations)
    expect(
      left
        .filter((d) => d.kind === 'clone')
        .map((d) => [d.label, d.kept])
        .sort(),
    ).toEqual([
      ['test/fails.test.js', true],
      ['test/hook-fails.test.js', true],
    ])

    // The user drops it as the message says.
    await readRows(SERVER_URL, `DROP DATABASE "${name}"`)
    expect((await databasesOf(migrations)).map((d) => d.name)).not.toContain(name)
  })

  test('should name the test file that left connections open', async () => {
    const { copy } = scratch('failing')
    const result = await runJest(copy, ['--maxWorkers=2'], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(result.stderr).toMatch(
      /\[pgtestbed\] test\/leaks\.test\.js left 1 connection open to its database pgtestbed_c_\w+; the drop closed it:\n\s+pid \d+ "jest test\/leaks\.test\.js"/,
    )
    expect(result.stderr).not.toContain('terminating connection due to administrator command')
  })
})
