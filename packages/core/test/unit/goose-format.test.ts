import { describe, expect, it } from 'vitest'
import { parseGooseFileName } from '../../src/migrations/files/formats/goose.js'
import { discoverFixture, fixturePath, single, withCode } from '../helpers/discovery.js'

describe('goose file names', () => {
  it.each([
    ['00001_create_users.sql', 1n, 'create_users'],
    ['+5_plus.sql', 5n, 'plus'],
    ['1_.sql', 1n, ''],
    ['1_init.up.sql', 1n, 'init.up'],
    ['9223372036854775807_max.sql', 9223372036854775807n, 'max'],
    ['20240101120000_ts.go', 20240101120000n, 'ts'],
  ])('should read %s as version %s like goose NumericComponent', (name, version, description) => {
    expect(parseGooseFileName(name)).toMatchObject({ ok: true, version, description })
  })

  it.each([
    ['001-init.sql', 'BAD_FILENAME', "no filename separator '_' found"],
    ['0_zero.sql', 'BAD_FILENAME', 'migration version must be greater than zero'],
    ['-3_negative.sql', 'BAD_FILENAME', 'migration version must be greater than zero'],
    ['v1_init.sql', 'BAD_FILENAME', 'parsing "v1": invalid syntax'],
    ['1_init.SQL', 'BAD_FILENAME', 'does not have .sql or .go file extension'],
    ['9223372036854775808_big.sql', 'VERSION_OUT_OF_RANGE', 'value out of range'],
  ])('should reject %s with goose’s reason', (name, code, reason) => {
    const result = parseGooseFileName(name)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.code).toBe(code)
      expect(result.reason).toContain(reason)
    }
  })
})

describe('goose format', () => {
  it('should load both directions of every file, in version order, with goose_db_version', async () => {
    const set = await discoverFixture('goose-basic')
    expect(set.format).toBe('goose')
    expect(set.diagnostics).toEqual([])
    expect(set.versionTable).toEqual({ table: 'goose_db_version' })
    expect(set.migrations.map((m) => [m.index, m.version, m.description])).toEqual([
      [0, '1', 'create_users'],
      [1, '2', 'add_email'],
      [2, '3', 'concurrent_index'],
    ])
    const [first, second, third] = set.migrations
    expect(first?.record).toEqual({ format: 'goose', versionId: 1n })
    expect(first?.files).toEqual([fixturePath('goose-basic', '00001_create_users.sql')])
    expect(first?.up).toMatchObject({ line: 1, transaction: true })
    expect(first?.down?.statements.map((s) => [s.sql, s.line])).toEqual([['DROP TABLE users;', 8]])
    expect(second?.up.statements.map((s) => s.sql)).toEqual([
      'ALTER TABLE users ADD COLUMN email text;',
      'CREATE INDEX users_email ON users (email);',
    ])
    expect(third?.up.transaction).toBe(false)
    expect(third?.down?.transaction).toBe(false)
    expect(set.files).toEqual(set.migrations.map((m) => m.up.file))
  })

  it('should order by integer version, accepting a leading + like goose', async () => {
    const set = await discoverFixture('goose-order')
    expect(set.migrations.map((m) => m.version)).toEqual(['1', '2', '4', '10'])
  })

  it('should report two files numbered 021 as one error naming both (incident 3)', async () => {
    const set = await discoverFixture('goose-duplicate-version')
    const d = single(set, 'DUPLICATE_VERSION')
    expect(d.severity).toBe('error')
    expect(d.file).toBe(
      fixturePath('goose-duplicate-version', '021_create_notification_audit_table.sql'),
    )
    expect(d.line).toBe(1)
    expect(d.related).toEqual([
      { file: fixturePath('goose-duplicate-version', '021_add_status_reason_column.sql'), line: 1 },
    ])
    expect(d.message).toContain('021_add_status_reason_column.sql')
    expect(d.message).toContain('021_create_notification_audit_table.sql')
    expect(d.message).toContain('duplicate version 21')
    expect(d.fix).toContain('022_create_notification_audit_table.sql')
  })

  it('should fail every .sql file the goose CLI cannot parse, proposing a corrected name', async () => {
    const set = await discoverFixture('goose-bad-filename')
    const byFile = (name: string) =>
      set.diagnostics.find((d) => d.file === fixturePath('goose-bad-filename', name))
    expect(byFile('002-add-users.sql')).toMatchObject({
      severity: 'error',
      code: 'BAD_FILENAME',
      message: expect.stringContaining("no filename separator '_' found"),
      fix: expect.stringContaining('rename it to 002_add_users.sql'),
    })
    expect(byFile('002-add-users.sql')?.message).toContain('could not parse SQL migration file')
    expect(byFile('schema.sql')?.fix).toContain('rename it to 003_schema.sql')
    expect(byFile('000_zero.sql')).toMatchObject({
      code: 'BAD_FILENAME',
      message: expect.stringContaining('greater than zero'),
      fix: expect.stringContaining('rename it to 003_zero.sql'),
    })
    expect(byFile('._001_init.sql')?.fix).toContain('macOS metadata file')
    expect(byFile('99999999999999999999_huge.sql')).toMatchObject({
      severity: 'error',
      code: 'VERSION_OUT_OF_RANGE',
      fix: expect.stringContaining('rename it to 003_huge.sql'),
    })
    expect(set.migrations.map((m) => m.version)).toEqual(['1'])
    expect(withCode(set, 'STRAY_FILE')).toEqual([])
  })

  it('should refuse goose Go migrations honestly and ignore Go helpers and tests', async () => {
    const set = await discoverFixture('goose-go-migration')
    const d = single(set, 'UNSUPPORTED_MIGRATION')
    expect(d).toMatchObject({
      severity: 'error',
      file: fixturePath('goose-go-migration', '00002_backfill.go'),
    })
    expect(d.message).toContain('cannot run Go code')
    expect(d.fix).toContain('00002_backfill.sql')
    expect(set.diagnostics).toHaveLength(1)
  })

  it('should pass the parser’s diagnostics through and leave a file without Up out', async () => {
    const set = await discoverFixture('goose-parse-error')
    const d = single(set, 'MISSING_UP')
    expect(d).toMatchObject({
      severity: 'error',
      file: fixturePath('goose-parse-error', '00002_no_up.sql'),
      line: 1,
    })
    expect(set.migrations.map((m) => m.version)).toEqual(['1'])
    expect(set.files).toContain(fixturePath('goose-parse-error', '00002_no_up.sql'))
  })
})
