import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixture, runCli } from './run-cli.js'

describe('pgtestbed config files and flags', () => {
  const project = fixture('config-project')

  it('should read migrations and lint settings from pgtestbed.config.json', async () => {
    const run = await runCli(['check', '--format', 'json'], { cwd: project })
    expect(run.code).toBe(0)
    const doc = JSON.parse(run.stdout)
    expect(doc.config).toBe(path.join(project, 'pgtestbed.config.json'))
    expect(doc.migrations).toMatchObject({ relativeDir: 'db/migrations', count: 2 })
    // 002 adds a column without SET lock_timeout; the config turns that rule off.
    expect(doc.diagnostics).toEqual([])

    const text = await runCli(['check'], { cwd: project })
    expect(text.stdout).toMatch(
      /✔ no problems · 2 goose migrations in db\/migrations\/ · .* · config pgtestbed\.config\.json · /,
    )
  })

  it('should let --dir override the config file', async () => {
    const run = await runCli(['check', '--format', 'json', '--dir', 'other'], { cwd: project })
    expect(run.code).toBe(0)
    const doc = JSON.parse(run.stdout)
    expect(doc.migrations).toMatchObject({
      dir: path.join(project, 'other'),
      relativeDir: 'other',
      count: 1,
    })
  })

  it('should resolve paths in a --config file against its own folder', async () => {
    const run = await runCli([
      'check',
      '--format',
      'json',
      '--config',
      'config-project/pgtestbed.config.json',
    ])
    expect(run.code).toBe(0)
    const doc = JSON.parse(run.stdout)
    expect(doc.migrations.dir).toBe(path.join(project, 'db', 'migrations'))
    expect(doc.migrations.relativeDir).toBe('config-project/db/migrations')
  })

  it('should exit 2 with CONFIG_LOAD_FAILED naming the file and position of a syntax error', async () => {
    const run = await runCli(['check'], { cwd: fixture('config-broken') })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(
      `pgtestbed: CONFIG_LOAD_FAILED could not load ${path.join(fixture('config-broken'), 'pgtestbed.config.json')}`,
    )
    expect(run.stderr).toContain('(line 1, column 33)')
    expect(run.stderr).toContain('fix: fix the error in pgtestbed.config.json')
  })

  it('should exit 2 with INVALID_OPTIONS naming an unknown key in a TypeScript config', async () => {
    const run = await runCli(['check'], { cwd: fixture('config-unknown-key') })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('pgtestbed: INVALID_OPTIONS invalid pgtestbed config in')
    expect(run.stderr).toContain('unknown key `lnit` (did you mean `lint`?)')
  })

  it('should exit 2 when --config names a file that does not exist', async () => {
    const run = await runCli(['check', '--config', 'nowhere/pgtestbed.config.ts'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('CONFIG_LOAD_FAILED the config file')
    expect(run.stderr).toContain('nowhere/pgtestbed.config.ts does not exist')
  })

  it('should exit 2 for a --migration-format that is not a migration tool', async () => {
    const run = await runCli(['check', '--migration-format', 'flyway'], { cwd: project })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("option '--migration-format <tool>' argument 'flyway' is invalid")
  })
})
