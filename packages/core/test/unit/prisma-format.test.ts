import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { lockProvider } from '../../src/migrations/files/formats/prisma.js'
import {
  prismaChecksum,
  prismaChecksumMatches,
} from '../../src/migrations/files/formats/prisma-checksum.js'
import { single, withCode } from '../helpers/discovery.js'

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/prisma/${name}`, import.meta.url))
const discover = (name: string, format?: 'prisma' | 'drizzle') =>
  discoverMigrations({ migrations: fixture(name), ...(format ? { format } : {}) })

const temps: string[] = []
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A migrations folder in a temp dir, with the given files (relative path → text). */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pgtestbed-prisma-'))
  temps.push(dir)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
    await writeFile(path.join(dir, name), text)
  }
  return dir
}

describe('Prisma Migrate checksums', () => {
  it("should be the SHA-256 hex of the script, zero-padded (Prisma's own test vector)", () => {
    expect(prismaChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    )
  })

  it('should match a script whatever its line endings, as Prisma checks an applied migration', () => {
    const lf = 'ab\ncd\nef\ngh\rab\n'
    const crlf = 'ab\r\ncd\r\nef\r\ngh\rab\r\n'
    for (const script of [lf, crlf]) {
      for (const other of [lf, crlf]) {
        expect(prismaChecksumMatches(script, prismaChecksum(other))).toBe(true)
      }
    }
  })

  it('should not match an edited script, and not a script that only gained a newline', () => {
    expect(prismaChecksumMatches('abc', prismaChecksum('abcd'))).toBe(false)
    expect(prismaChecksumMatches('abc\n', prismaChecksum('abc'))).toBe(false)
  })

  it('should accept the unpadded checksums older Prisma versions wrote', () => {
    const bytes = createHash('sha256').update('select 1;').digest()
    const unpadded = [...bytes].map((b) => b.toString(16)).join('')
    expect(unpadded.length).toBeLessThan(64)
    expect(prismaChecksumMatches('select 1;', unpadded)).toBe(true)
    expect(prismaChecksumMatches('select 2;', unpadded)).toBe(false)
  })
})

describe('migration_lock.toml', () => {
  it('should read the provider the way Prisma does', () => {
    expect(lockProvider('# comment\nprovider = "postgresql"\n')).toBe('postgresql')
    expect(lockProvider('provider = "mysql"\r\n')).toBe('mysql')
    // Prisma strips only `provider = ` with single spaces: other spellings do not match.
    expect(lockProvider('provider="postgresql"')).toBe('provider="postgresql')
    expect(lockProvider('# nothing here\n')).toBeUndefined()
  })
})

describe('Prisma Migrate folders', () => {
  it('should detect prisma/migrations by its lock file and read every folder in order', async () => {
    const set = await discover('basic')
    expect(set.format).toBe('prisma')
    expect(set.diagnostics).toEqual([])
    expect(set.versionTable).toEqual({ schema: 'public', table: '_prisma_migrations' })
    expect(set.migrations.map((m) => m.version)).toEqual([
      '20240101120000_init',
      '20240102090000_add_posts',
    ])
    const [init] = set.migrations
    const file = path.join(fixture('basic'), '20240101120000_init', 'migration.sql')
    const text = await readFile(file, 'utf8')
    expect(init?.description).toBe('init')
    expect(init?.down).toBeNull()
    // Prisma sends the whole file as one query and adds no BEGIN of its own.
    expect(init?.up).toEqual({
      file,
      line: 1,
      statements: [{ sql: text, line: 1, endLine: text.split('\n').length - 1 }],
      transaction: false,
    })
    expect(init?.record).toEqual({
      format: 'prisma',
      name: '20240101120000_init',
      checksum: createHash('sha256').update(text).digest('hex'),
    })
    // The lock file is part of the set (the fingerprint and the stray check see it); a down.sql
    // written with `prisma migrate diff` is a companion file, not a stray.
    expect(set.files.map((f) => path.relative(set.dir, f))).toEqual([
      'migration_lock.toml',
      path.join('20240101120000_init', 'migration.sql'),
      path.join('20240102090000_add_posts', 'migration.sql'),
    ])
  })

  it('should report another provider, a folder without migration.sql and SQL Prisma never runs', async () => {
    const set = await discover('problems')
    expect(set.format).toBe('prisma')
    const provider = single(set, 'PROVIDER_MISMATCH')
    expect(provider).toMatchObject({ severity: 'error', line: 1 })
    expect(provider.message).toContain('provider = "mysql"')
    expect(provider.message).toContain('P3019')
    const missing = single(set, 'UP_FILE_MISSING')
    expect(missing.message).toContain('folder 20240102000000_no_sql has no migration.sql')
    expect(missing.message).toContain('Failed to read migration script')
    const strays = withCode(set, 'STRAY_FILE').map((d) => [
      d.severity,
      path.relative(set.dir, d.file ?? ''),
    ])
    expect(strays).toEqual(
      expect.arrayContaining([
        ['error', path.join('20240103000000_extra', 'more.sql')],
        ['error', 'seed.sql'],
        ['warning', path.join('20240102000000_no_sql', 'notes.md')],
      ]),
    )
    expect(strays).toHaveLength(3)
    expect(set.migrations.map((m) => m.version)).toEqual([
      '20240101120000_init',
      '20240103000000_extra',
    ])
  })

  it('should report an empty migration folder and a folder that is a symbolic link', async () => {
    const dir = await folder({
      'migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'migrations/20240101000000_init/migration.sql': 'CREATE TABLE a (id int);\n',
      'elsewhere/20240103000000_linked/migration.sql': 'CREATE TABLE c (id int);\n',
    })
    const migrations = path.join(dir, 'migrations')
    await mkdir(path.join(migrations, '20240102000000_empty'))
    await symlink(
      path.join(dir, 'elsewhere', '20240103000000_linked'),
      path.join(migrations, '20240103000000_linked'),
    )
    const set = await discoverMigrations({ migrations })
    expect(single(set, 'UP_FILE_MISSING').message).toContain('folder 20240102000000_empty')
    expect(single(set, 'STRAY_FILE').message).toContain(
      '20240103000000_linked is a symbolic link to a folder',
    )
    expect(set.migrations.map((m) => m.version)).toEqual(['20240101000000_init'])
  })

  it('should refuse a migration.sql with a BOM, which PostgreSQL rejects', async () => {
    const dir = await folder({
      'migration_lock.toml': 'provider = "postgresql"\n',
      '20240101000000_init/migration.sql': '\uFEFFCREATE TABLE a (id int);\n',
    })
    const set = await discoverMigrations({ migrations: dir })
    expect(single(set, 'BOM').severity).toBe('error')
  })

  it('should keep CRLF in the statement and the checksum, as Prisma sends and hashes the file', async () => {
    const text = 'CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n'
    const dir = await folder({
      'migration_lock.toml': 'provider = "postgresql"\n',
      '20240101000000_init/migration.sql': text,
    })
    const set = await discoverMigrations({ migrations: dir })
    const [init] = set.migrations
    expect(init?.up.statements[0]?.sql).toBe(text)
    expect(init?.record).toMatchObject({ checksum: prismaChecksum(text) })
  })
})

describe('a folder that fits Prisma and drizzle v1', () => {
  it('should read bare <timestamp>_<name>/migration.sql folders as Prisma and say how to pin the format', async () => {
    const set = await discover('bare')
    expect(set.format).toBe('prisma')
    const d = single(set, 'FORMAT_AMBIGUOUS')
    expect(d.severity).toBe('warning')
    expect(d.message).toContain(
      'fit prisma (`<timestamp>_<name>/migration.sql` folders) and drizzle (`<timestamp>_<name>/migration.sql` folders)',
    )
    expect(d.message).toContain('pgtestbed reads them as prisma')
    expect(d.fix).toContain("`format: 'prisma'` keeps this choice")
    expect(d.fix).toContain("`format: 'drizzle'` reads them as drizzle")
    expect(set.migrations.map((m) => m.version)).toEqual(['20240101120000_init'])
  })

  it('should warn no more once the format is pinned', async () => {
    const prisma = await discover('bare', 'prisma')
    expect(prisma.diagnostics).toEqual([])
    const drizzle = await discover('bare', 'drizzle')
    expect(drizzle.format).toBe('drizzle')
    expect(withCode(drizzle, 'FORMAT_AMBIGUOUS')).toEqual([])
  })

  it('should read a folder with drizzle snapshots as drizzle, without a warning', async () => {
    const set = await discoverMigrations({
      migrations: fileURLToPath(new URL('../fixtures/drizzle/v1-basic', import.meta.url)),
    })
    expect(set.format).toBe('drizzle')
    expect(withCode(set, 'FORMAT_AMBIGUOUS')).toEqual([])
  })

  it('should call a Prisma lock file next to a drizzle journal two tools, an error', async () => {
    const dir = await folder({
      'migration_lock.toml': 'provider = "postgresql"\n',
      'meta/_journal.json': '{"version":"7","dialect":"postgresql","entries":[]}',
      '20240101000000_init/migration.sql': 'CREATE TABLE a (id int);\n',
    })
    const set = await discoverMigrations({ migrations: dir })
    const d = single(set, 'FORMAT_AMBIGUOUS')
    expect(d.severity).toBe('error')
    expect(d.message).toContain('holds files of more than one migration tool')
    expect(d.message).toContain('prisma (a `migration_lock.toml`)')
  })
})
