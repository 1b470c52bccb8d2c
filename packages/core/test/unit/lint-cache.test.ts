import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLintHook, type LintHookResult } from '../../src/lint/hook.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'

const CREATE = `-- +goose Up
CREATE TABLE users (id bigint PRIMARY KEY);

-- +goose Down
DROP TABLE users;
`
const ADD_COLUMN = `-- +goose Up
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN status text NOT NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN status;
`

const temps: string[] = []
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A goose project in a temp folder with its own cache folder. */
function project(): { migrations: string; cacheDir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-lint-cache-'))
  temps.push(dir)
  const migrations = path.join(dir, 'migrations')
  mkdirSync(migrations)
  writeFileSync(path.join(migrations, '00001_create_users.sql'), CREATE)
  writeFileSync(path.join(migrations, '00002_add_status.sql'), ADD_COLUMN)
  return { migrations, cacheDir: path.join(dir, 'cache') }
}

/** A hook that records whether each call was answered by the cache. */
function recordingHook(...args: Parameters<typeof createLintHook>) {
  const results: LintHookResult[] = []
  const hook = createLintHook(args[0], { ...args[1], onLint: (r) => results.push(r) })!
  return { hook, cached: () => results.map((r) => r.cached) }
}

describe('createLintHook with a cache folder', () => {
  it('should lint once and answer the next runs from <cacheDir>/lint without parsing', async () => {
    const { migrations, cacheDir } = project()
    const set = await discoverMigrations({ migrations })
    const first = recordingHook(true, { cacheDir })
    const findings = await first.hook(set)
    expect(findings.map((d) => `${path.basename(d.file ?? '')}:${d.line} ${d.code}`)).toEqual([
      '00002_add_status.sql:3 LINT_NOT_NULL_WITHOUT_DEFAULT',
    ])
    // A second start: a new hook (as a new process would make), the same files.
    const second = recordingHook(true, { cacheDir })
    expect(await second.hook(await discoverMigrations({ migrations }))).toEqual(findings)
    expect([...first.cached(), ...second.cached()]).toEqual([false, true])
    expect(readdirSync(path.join(cacheDir, 'lint'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}-[0-9a-f]{8}\.json$/),
    ])
  })

  it('should lint again when a migration file or the lint settings change', async () => {
    const { migrations, cacheDir } = project()
    const hook = recordingHook(true, { cacheDir })
    await hook.hook(await discoverMigrations({ migrations }))
    writeFileSync(
      path.join(migrations, '00002_add_status.sql'),
      ADD_COLUMN.replace('text NOT NULL', "text NOT NULL DEFAULT 'new'"),
    )
    expect(await hook.hook(await discoverMigrations({ migrations }))).toEqual([])
    const off = recordingHook({ rules: { LINT_DROP_TABLE: 'off' } }, { cacheDir })
    await off.hook(await discoverMigrations({ migrations }))
    expect([...hook.cached(), ...off.cached()]).toEqual([false, false, false])
  })

  it('should lint every time without a cache folder, and when the cache folder cannot be written', async () => {
    const { migrations, cacheDir } = project()
    const set = await discoverMigrations({ migrations })
    const none = recordingHook(true)
    await none.hook(set)
    await none.hook(set)
    // A file where the cache folder should be: the cache is skipped, lint still works.
    writeFileSync(cacheDir, 'not a folder')
    const blocked = recordingHook(true, { cacheDir })
    expect(await blocked.hook(set)).toHaveLength(1)
    expect(await blocked.hook(set)).toHaveLength(1)
    expect([...none.cached(), ...blocked.cached()]).toEqual([false, false, false, false])
  })

  it('should delete an entry of the same folder written by a build that no longer exists', async () => {
    const { migrations, cacheDir } = project()
    const set = await discoverMigrations({ migrations })
    await recordingHook(true, { cacheDir }).hook(set)
    const folder = path.join(cacheDir, 'lint')
    const current = readdirSync(folder)[0]!
    const prefix = current.slice(0, 17)
    const gone = `${prefix}00000000.json`
    const otherFolder = '0123456789abcdef-00000000.json'
    const entry = { key: 'x', build: { file: '/nowhere/index.js', mtimeMs: 1 }, diagnostics: [] }
    for (const name of [gone, otherFolder])
      writeFileSync(path.join(folder, name), JSON.stringify(entry))
    // A change makes the next run lint and write, which clears the dead build's entry.
    writeFileSync(path.join(migrations, '00001_create_users.sql'), `${CREATE}\n`)
    await recordingHook(true, { cacheDir }).hook(await discoverMigrations({ migrations }))
    expect(readdirSync(folder).sort()).toEqual([otherFolder, current].sort())
  })
})
