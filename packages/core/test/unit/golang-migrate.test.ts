import { describe, expect, it } from 'vitest'
import { parseGolangMigrateName } from '../../src/migrations/files/formats/golang-migrate.js'
import { discoverFixture, fixturePath, single, withCode } from '../helpers/discovery.js'

describe('golang-migrate file names', () => {
  it.each([
    ['000001_init.up.sql', 1n, 'init', 'up', 'sql'],
    ['1_.down.sql', 1n, '', 'down', 'sql'],
    ['2_add.email.up.sql', 2n, 'add.email', 'up', 'sql'],
    ['3_x.up.txt', 3n, 'x', 'up', 'txt'],
  ])(
    'should read %s like golang-migrate’s anchored pattern',
    (name, version, title, direction, extension) => {
      expect(parseGolangMigrateName(name)).toMatchObject({ version, title, direction, extension })
    },
  )

  it.each(['1_init.UP.sql', '1_init.sql', 'init.up.sql', '1-init.up.sql'])(
    'should ignore %s as golang-migrate does',
    (name) => {
      expect(parseGolangMigrateName(name)).toBeNull()
    },
  )
})

describe('golang-migrate format', () => {
  it('should pair files by version and send each whole file as one statement without a transaction', async () => {
    const set = await discoverFixture('golang-migrate-basic')
    expect(set.format).toBe('golang-migrate')
    expect(set.diagnostics).toEqual([])
    expect(set.versionTable).toEqual({ table: 'schema_migrations' })
    expect(set.migrations.map((m) => [m.version, m.description])).toEqual([
      ['1', 'create_users'],
      ['2', 'add.email'],
      ['3', 'index'],
    ])
    const first = set.migrations[0]!
    expect(first.files).toEqual([
      fixturePath('golang-migrate-basic', '000001_create_users.up.sql'),
      fixturePath('golang-migrate-basic', '000001_create_users.down.sql'),
    ])
    expect(first.record).toEqual({ format: 'golang-migrate', version: 1n })
    expect(first.up.transaction).toBe(false)
    expect(first.up.statements).toEqual([
      {
        sql: '\nCREATE TABLE users (id bigserial PRIMARY KEY);\nCREATE INDEX users_id ON users (id);\n',
        line: 2,
        endLine: 3,
      },
    ])
    expect(first.down?.statements.map((s) => s.sql)).toEqual(['DROP TABLE users;\n'])
    // A concurrent index alone in its file (with comments around it) is fine.
    expect(withCode(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')).toEqual([])
  })

  it('should report two up files of one version, naming both', async () => {
    const set = await discoverFixture('golang-migrate-duplicate')
    const d = single(
      { diagnostics: set.diagnostics.filter((x) => x.severity === 'error') },
      'DUPLICATE_VERSION',
    )
    expect(d.file).toBe(fixturePath('golang-migrate-duplicate', '1_create_a.up.sql'))
    expect(d.related).toEqual([
      { file: fixturePath('golang-migrate-duplicate', '001_create_b.up.sql'), line: 1 },
    ])
    expect(d.message).toContain('001_create_b.up.sql and 1_create_a.up.sql')
    expect(d.message).toContain('duplicate migration file: 1_create_a.up.sql')
    expect(d.fix).toContain('4_create_a.up.sql')
  })

  it('should warn when an up and a down file share a version but not a title', async () => {
    const set = await discoverFixture('golang-migrate-duplicate')
    const warning = set.diagnostics.find(
      (d) =>
        d.severity === 'warning' &&
        d.file === fixturePath('golang-migrate-duplicate', '3_e.down.sql'),
    )
    expect(warning).toMatchObject({ code: 'DUPLICATE_VERSION' })
    expect(warning?.message).toContain('3_d.up.sql and 3_e.down.sql')
    expect(warning?.fix).toContain('3_d.down.sql')
  })

  it('should report a down file without an up file and still record its version like golang-migrate', async () => {
    const set = await discoverFixture('golang-migrate-down-only')
    const d = single(set, 'UP_FILE_MISSING')
    expect(d).toMatchObject({
      severity: 'error',
      file: fixturePath('golang-migrate-down-only', '2_b.down.sql'),
    })
    expect(d.message).toContain('record version 2 as applied without running anything')
    expect(d.fix).toContain('add 2_b.up.sql')
    const two = set.migrations.find((m) => m.version === '2')
    expect(two?.up.statements).toEqual([])
    expect(two?.down?.statements.map((s) => s.sql)).toEqual(['DROP TABLE b;\n'])
  })

  it('should treat a whitespace-only up file as zero statements and warn that it is empty', async () => {
    const set = await discoverFixture('golang-migrate-down-only')
    const d = single(set, 'EMPTY_MIGRATION')
    expect(d).toMatchObject({
      severity: 'warning',
      file: fixturePath('golang-migrate-down-only', '3_empty.up.sql'),
    })
    expect(d.message).toContain('records version 3 without running anything')
    expect(set.migrations.find((m) => m.version === '3')?.up.statements).toEqual([])
  })

  it('should report versions golang-migrate skips silently or cannot store', async () => {
    const set = await discoverFixture('golang-migrate-out-of-range')
    const [skipped, bigint] = withCode(set, 'VERSION_OUT_OF_RANGE')
    expect(skipped).toMatchObject({
      severity: 'error',
      file: fixturePath('golang-migrate-out-of-range', '18446744073709551616_too_big.up.sql'),
      message: expect.stringContaining('silently skips the file'),
    })
    expect(bigint).toMatchObject({
      severity: 'error',
      file: fixturePath('golang-migrate-out-of-range', '9223372036854775808_not_bigint.up.sql'),
      message: expect.stringContaining('bigint'),
      fix: expect.stringContaining('000002_not_bigint.up.sql'),
    })
    expect(set.migrations.map((m) => m.version)).toEqual(['1'])
  })

  it('should reject a file that starts with a byte-order mark', async () => {
    const set = await discoverFixture('golang-migrate-stray')
    const d = single(set, 'BOM')
    expect(d).toMatchObject({
      severity: 'error',
      file: fixturePath('golang-migrate-stray', '4_bom.up.sql'),
      line: 1,
      message: expect.stringContaining('syntax error'),
      fix: expect.stringContaining('without BOM'),
    })
  })
})
