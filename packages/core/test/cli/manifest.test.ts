import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyFixture, runCli } from './run-cli.js'

describe('pgtestbed manifest', () => {
  let remove: (() => Promise<void>) | undefined
  afterEach(async () => {
    await remove?.()
    remove = undefined
  })

  async function project() {
    const copy = await copyFixture('goose-clean')
    remove = copy.remove
    return copy.dir
  }

  it('should write pgtestbed.sum, verify it, and name the file an edit changed', async () => {
    const cwd = await project()
    const missing = await runCli(['manifest', '--check'], { cwd })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain(
      'error    MANIFEST_NOT_FOUND  the manifest pgtestbed.sum does not exist',
    )
    expect(missing.stdout).toContain(
      'fix: review the migrations, then run `pgtestbed manifest --write` to create it',
    )

    const write = await runCli(['manifest', '--write'], { cwd })
    expect(write.code).toBe(0)
    expect(write.stdout).toBe('pgtestbed: wrote migrations/pgtestbed.sum (3 goose migrations)\n')
    const sum = await readFile(path.join(cwd, 'migrations', 'pgtestbed.sum'), 'utf8')
    expect(
      sum
        .split('\n')
        .slice(1, 4)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['00001_create_users.sql', '00002_create_orders.sql', '00003_create_audit.sql'])

    const again = await runCli(['manifest', '--write'], { cwd })
    expect(again.stdout).toBe(
      'pgtestbed: unchanged: migrations/pgtestbed.sum (3 goose migrations)\n',
    )

    const check = await runCli(['manifest'], { cwd })
    expect(check.code).toBe(0)
    expect(check.stdout).toBe(
      'pgtestbed: migrations/pgtestbed.sum matches the 3 goose migrations in migrations/\n',
    )
    const full = await runCli(['check'], { cwd })
    expect(full.code).toBe(0)
    expect(full.stdout).toContain('validation, manifest migrations/pgtestbed.sum, lint')

    const file = path.join(cwd, 'migrations', '00002_create_orders.sql')
    await writeFile(file, (await readFile(file, 'utf8')).replace('DEFAULT 0', 'DEFAULT 1'))
    const edited = await runCli(['manifest', '--check'], { cwd })
    expect(edited.code).toBe(1)
    const lines = edited.stdout.split('\n')
    expect(lines[lines.indexOf('migrations/00002_create_orders.sql') + 1]).toMatch(
      /error {4}MANIFEST_EDITED {2}.*00002_create_orders\.sql/,
    )
    expect(edited.stdout).not.toContain('migrations/00001_create_users.sql\n')
    const checked = await runCli(['check'], { cwd })
    expect(checked.code).toBe(1)
    expect(checked.stdout).toContain('MANIFEST_EDITED')
  })

  it('should fail a new file that is not in pgtestbed.sum, naming it and the fix (incident 2)', async () => {
    const cwd = await project()
    expect((await runCli(['manifest', '--write'], { cwd })).code).toBe(0)
    await writeFile(
      path.join(cwd, 'migrations', '00004_add_status_reason_column.sql'),
      '-- +goose Up\nCREATE TABLE status_reasons (id bigint PRIMARY KEY);\n\n-- +goose Down\nDROP TABLE status_reasons;\n',
    )
    const run = await runCli(['check', '--format', 'json'], { cwd })
    expect(run.code).toBe(1)
    const doc = JSON.parse(run.stdout)
    expect(doc.steps.manifest).toEqual({ ran: true })
    expect(doc.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'MANIFEST_UNLISTED',
        relativeFile: 'migrations/00004_add_status_reason_column.sql',
        message: expect.stringContaining('00004_add_status_reason_column.sql'),
        fix: expect.stringContaining('pgtestbed manifest --write'),
      }),
    ])
  })

  it('should take a new migration in one command, reporting a lint error in the same run', async () => {
    const cwd = await project()
    expect((await runCli(['manifest', '--write'], { cwd })).code).toBe(0)
    const file = path.join(cwd, 'migrations', '00004_add_orders_note.sql')
    const unsafe =
      '-- +goose Up\nALTER TABLE orders ADD COLUMN note text NOT NULL;\n\n-- +goose Down\nALTER TABLE orders DROP COLUMN note;\n'
    await writeFile(file, unsafe)

    // check names both problems at once: the unlisted file and the unsafe statement.
    const check = await runCli(['check', '--format', 'json'], { cwd })
    expect(check.code).toBe(1)
    const codes = JSON.parse(check.stdout).diagnostics.map((d: { code: string }) => d.code)
    expect(codes).toEqual(
      expect.arrayContaining(['MANIFEST_UNLISTED', 'LINT_NOT_NULL_WITHOUT_DEFAULT']),
    )

    // manifest --write records the file and runs the remaining checks in the same run.
    const write = await runCli(['manifest', '--write'], { cwd })
    expect(write.code).toBe(1)
    expect(write.stdout).toContain('pgtestbed: wrote migrations/pgtestbed.sum (4 goose migrations)')
    expect(write.stdout).toMatch(/error {4}LINT_NOT_NULL_WITHOUT_DEFAULT/)

    // Fixing the file: one more write, and it is done; the edit is named as such, not as an
    // edit of an applied migration.
    await writeFile(file, unsafe.replace('NOT NULL', "NOT NULL DEFAULT ''"))
    const edited = await runCli(['manifest', '--check'], { cwd })
    expect(edited.stdout).toContain('changed since pgtestbed.sum was written')
    expect(edited.stdout).toContain(
      'if this migration is new and no shared database has applied it yet',
    )
    const done = await runCli(['manifest', '--write'], { cwd })
    expect(done.code).toBe(0)
    expect(done.stdout).toBe(
      'pgtestbed: wrote migrations/pgtestbed.sum (4 goose migrations)\n' +
        'pgtestbed: 1 warning (`pgtestbed check` shows it)\n',
    )
    expect((await runCli(['check'], { cwd })).code).toBe(0)
  })

  it('should refuse to write a manifest for migrations that do not load', async () => {
    const cwd = await project()
    await writeFile(
      path.join(cwd, 'migrations', '00004_broken.sql'),
      'CREATE TABLE nope (id int);\n',
    )
    const run = await runCli(['manifest', '--write'], { cwd })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('migrations/00004_broken.sql')
    expect(run.stdout).toContain('MISSING_UP')
    expect(run.stdout).toContain('manifest skipped (fix the errors above first)')
  })

  it('should exit 2 for --write and --check together', async () => {
    const run = await runCli(['manifest', '--write', '--check'], { cwd: await project() })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('INVALID_OPTIONS --write and --check cannot be used together')
  })
})
