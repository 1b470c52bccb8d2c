import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import type { MigrationsOptions } from '../../src/migrations/types.js'
import { withCode } from '../helpers/discovery.js'

const GOOSE = '-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 1;\n'

let folder: string
afterEach(() => rm(folder, { recursive: true, force: true }))

async function project(files: Record<string, string>): Promise<string> {
  folder = await mkdtemp(path.join(tmpdir(), 'pgtestbed-dup-'))
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(folder, name), text)
  return folder
}

const git = (...args: string[]) => gitAt(undefined, ...args)

/** Runs git in the project, with commits dated `date` when given. */
function gitAt(date: string | undefined, ...args: string[]) {
  const dated = date ? { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } : {}
  execFileSync('git', ['-C', folder, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    stdio: 'ignore',
    env: { ...process.env, ...dated },
  })
}

async function fixes(options: MigrationsOptions = {}): Promise<string[]> {
  const set = await discoverMigrations({ cwd: folder, migrations: '.', ...options })
  return withCode(set, 'DUPLICATE_VERSION').map((d) => d.fix ?? '')
}

describe('DUPLICATE_VERSION fixes', () => {
  it('should propose renaming the file git has not committed, even when it sorts first', async () => {
    await project({ '001_a.sql': GOOSE, '002_users_table.sql': GOOSE })
    git('init', '-q')
    git('add', '.')
    git('commit', '-q', '-m', 'first')
    await writeFile(path.join(folder, '002_add_email.sql'), GOOSE)
    expect(await fixes()).toEqual([
      'rename 002_add_email.sql to 003_add_email.sql: it is the newer file (not committed yet); keep 002_users_table.sql, which shared databases may have applied already',
    ])
  })

  it('should propose renaming the file committed later', async () => {
    await project({ '001_a.sql': GOOSE, '002_b_old.sql': GOOSE })
    git('init', '-q')
    git('add', '.')
    gitAt('2024-01-01T00:00:00Z', 'commit', '-q', '-m', 'first')
    await writeFile(path.join(folder, '002_a_new.sql'), GOOSE)
    git('add', '.')
    gitAt('2025-01-01T00:00:00Z', 'commit', '-q', '-m', 'second')
    expect(await fixes()).toEqual([
      expect.stringMatching(
        /^rename 002_a_new\.sql to 003_a_new\.sql: it is the newer file \(committed later\)/,
      ),
    ])
  })

  it('should fall back to the later modification time outside git', async () => {
    await project({ '010_new.sql': GOOSE, '010_old.sql': GOOSE })
    await utimes(path.join(folder, '010_old.sql'), new Date(2020, 0, 1), new Date(2020, 0, 1))
    expect(await fixes()).toEqual([
      expect.stringMatching(
        /^rename 010_new\.sql to 011_new\.sql: it is the newer file \(modified later\)/,
      ),
    ])
  })

  it('should give each duplicate of one folder a distinct free version', async () => {
    await project({
      '1000_a.sql': GOOSE,
      '1000_b.sql': GOOSE,
      '1001_c.sql': GOOSE,
      '1001_d.sql': GOOSE,
    })
    const proposed = (await fixes()).map((fix) => /to (\S+):/.exec(fix)?.[1])
    expect(proposed).toEqual(['1002_b.sql', '1003_d.sql'])
  })

  it('should rename the golang-migrate pair of the newer file together, to a free version', async () => {
    await project({
      '000001_a.up.sql': 'SELECT 1;',
      '000001_a.down.sql': 'SELECT 1;',
      '000001_b.up.sql': 'SELECT 1;',
      '000002_c.up.sql': 'SELECT 1;',
    })
    await utimes(path.join(folder, '000001_a.up.sql'), new Date(2020, 0, 1), new Date(2020, 0, 1))
    expect(await fixes({ format: 'golang-migrate' })).toEqual([
      expect.stringMatching(
        /^rename 000001_b\.up\.sql \(and its \.down file\) to 000003_b\.up\.sql: it is the newer file \(modified later\); keep 000001_a\.up\.sql/,
      ),
    ])
  })
})
