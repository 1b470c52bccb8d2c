import { readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyFixture, runCli } from './run-cli.js'

describe('pgtestbed check lint cache', () => {
  let remove: (() => Promise<void>) | undefined
  afterEach(async () => {
    await remove?.()
    remove = undefined
  })

  it('should reuse lint findings until a file, the lint settings or --no-cache say otherwise', async () => {
    const copy = await copyFixture('goose-clean')
    remove = copy.remove
    const cwd = copy.dir
    const env = { PGTESTBED_CACHE_DIR: path.join(cwd, '.cache') }
    const summary = (stdout: string) => stdout.trim().split('\n').at(-1) ?? ''

    const first = await runCli(['check'], { cwd, env })
    expect(first.code).toBe(0)
    expect(summary(first.stdout)).toMatch(/ · validation, no manifest, lint · \d+ ms$/)
    // In pgtestbed's cache folder, where the test plugins keep theirs.
    expect(await readdir(path.join(cwd, '.cache', 'lint'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}-[0-9a-f]{8}\.json$/),
    ])
    const second = await runCli(['check'], { cwd, env })
    expect(summary(second.stdout)).toMatch(/ · validation, no manifest, lint \(cached\) · \d+ ms$/)

    // A new migration changes the key: it is linted, and its finding shows.
    await writeFile(
      path.join(cwd, 'migrations', '00004_add_status.sql'),
      "-- +goose Up\nSET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN status text NOT NULL;\n\n-- +goose Down\nALTER TABLE users DROP COLUMN status;\n",
    )
    const changed = await runCli(['check'], { cwd, env })
    expect(changed.code).toBe(1)
    expect(changed.stdout).toContain(
      '3  error    LINT_NOT_NULL_WITHOUT_DEFAULT  ADD COLUMN users.status text NOT NULL',
    )
    expect(summary(changed.stdout)).not.toContain('(cached)')
    const cached = await runCli(['check'], { cwd, env })
    expect(cached.code).toBe(1)
    expect(cached.stdout).toContain('LINT_NOT_NULL_WITHOUT_DEFAULT')
    expect(summary(cached.stdout)).toContain('lint (cached)')

    // So do the lint settings.
    await writeFile(
      path.join(cwd, 'pgtestbed.config.json'),
      JSON.stringify({ lint: { rules: { LINT_NOT_NULL_WITHOUT_DEFAULT: 'off' } } }),
    )
    const settings = await runCli(['check'], { cwd, env })
    expect(settings.code).toBe(0)
    expect(summary(settings.stdout)).toMatch(/lint · config pgtestbed\.config\.json · \d+ ms$/)

    const forced = await runCli(['check', '--no-cache'], { cwd, env })
    expect(summary(forced.stdout)).not.toContain('(cached)')
  })
})
