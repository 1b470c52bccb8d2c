import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { MIGRATION_FIXTURES, discoverFixture, fixturePath, single } from '../helpers/discovery.js'

const temps: string[] = []
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})
async function tempCopy(fixture: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-discover-'))
  temps.push(dir)
  await cp(fixturePath(fixture), dir, { recursive: true })
  return dir
}

describe('discoverMigrations', () => {
  it('should resolve the folder against cwd and return absolute paths', async () => {
    const set = await discoverFixture('goose-basic')
    expect(set.dir).toBe(fixturePath('goose-basic'))
    expect(set.files.every((f) => path.isAbsolute(f) && f.startsWith(set.dir))).toBe(true)
  })

  it('should default to ./migrations under the current directory', async () => {
    const set = await discoverMigrations({ cwd: fixturePath('goose-basic', '..', '..') })
    expect(set.dir).toBe(path.join(MIGRATION_FIXTURES, '..', 'migrations'))
  })

  it('should report a missing folder as a DIR_NOT_FOUND error naming the resolved path', async () => {
    const set = await discoverFixture('no-such-folder')
    const d = single(set, 'DIR_NOT_FOUND')
    expect(d.severity).toBe('error')
    expect(d.message).toContain(`${fixturePath('no-such-folder')} does not exist`)
    expect(d.message).toContain('"no-such-folder"')
    expect(d.fix).toContain('`migrations` option')
    expect(set.migrations).toEqual([])
  })

  it('should report a file given as the folder', async () => {
    const set = await discoverFixture('goose-basic/00001_create_users.sql')
    expect(single(set, 'DIR_NOT_FOUND').message).toContain('is a file, not a folder')
  })

  it('should throw INVALID_OPTIONS for an unknown format and for a non-string folder', async () => {
    const unknown = await discoverFixture('goose-basic', { format: 'flyway' as 'goose' }).catch(
      (e) => e,
    )
    expect(isPgtestbedError(unknown) && unknown.code).toBe('INVALID_OPTIONS')
    expect((unknown as Error).message).toContain('"flyway"')
    expect((unknown as { fix: string }).fix).toContain("'golang-migrate'")
    const wrong = await discoverMigrations({ migrations: 42 as unknown as string }).catch((e) => e)
    expect(isPgtestbedError(wrong) && wrong.code).toBe('INVALID_OPTIONS')
  })

  it('should apply the table and schema options over the tool’s version table', async () => {
    const set = await discoverFixture('goose-basic', { table: 'my_versions', schema: 'ops' })
    expect(set.versionTable).toEqual({ schema: 'ops', table: 'my_versions' })
  })

  it('should use a forced format instead of detecting one', async () => {
    const set = await discoverFixture('detect-plain-sql', { format: 'goose' })
    expect(set.format).toBe('goose')
    expect(set.diagnostics.map((d) => d.code)).toEqual(['MISSING_UP', 'MISSING_UP'])
  })

  it('should report NO_MIGRATIONS when the forced format finds nothing to apply', async () => {
    const set = await discoverFixture('detect-unknown', { format: 'golang-migrate' })
    const d = single(set, 'NO_MIGRATIONS')
    expect(d.message).toContain('no golang-migrate migrations found in detect-unknown/')
  })

  it('should skip node_modules and see dot files', async () => {
    const dir = await tempCopy('goose-basic')
    await mkdir(path.join(dir, 'node_modules', 'pkg'), { recursive: true })
    await writeFile(path.join(dir, 'node_modules', 'pkg', 'x.sql'), 'junk')
    await writeFile(path.join(dir, '._00001_create_users.sql'), 'junk')
    const set = await discoverMigrations({ migrations: dir })
    expect(set.diagnostics.map((d) => [d.code, path.basename(d.file ?? '')])).toEqual([
      ['BAD_FILENAME', '._00001_create_users.sql'],
    ])
  })

  it('should read the environment for goose ENVSUB from options.env', async () => {
    const dir = await tempCopy('goose-basic')
    await writeFile(
      path.join(dir, '00004_envsub.sql'),
      '-- +goose Up\n-- +goose ENVSUB ON\nCREATE SCHEMA ${APP_SCHEMA};\n-- +goose Down\nSELECT 1;\n',
    )
    const set = await discoverMigrations({ migrations: dir, env: { APP_SCHEMA: 'billing' } })
    expect(set.migrations[3]?.up.statements[0]?.sql).toBe('CREATE SCHEMA billing;')
  })

  it('should report a dangling symlink as UNREADABLE_FILE instead of skipping it or throwing', async () => {
    const dir = await tempCopy('goose-basic')
    await symlink(path.join(dir, 'missing-target.sql'), path.join(dir, '00004_dangling.sql'))
    const set = await discoverMigrations({ migrations: dir })
    const d = single(set, 'UNREADABLE_FILE')
    expect(d).toMatchObject({ severity: 'error', file: path.join(dir, '00004_dangling.sql') })
    expect(d.message).toContain('could not read 00004_dangling.sql')
    expect(set.migrations).toHaveLength(3)
  })
})
