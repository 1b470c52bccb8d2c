import { describe, expect, it } from 'vitest'
import { parseDbmateSql } from '../../src/migrations/files/formats/dbmate-parser.js'
import { discoverFixture, fixturePath } from '../helpers/discovery.js'

const parse = (text: string) => parseDbmateSql(text, { file: '/m/1_x.sql', name: '1_x.sql' })

describe('dbmate parser', () => {
  it('should keep each block whole, directive line included, as dbmate sends it', () => {
    const result = parse(
      '-- note\n-- migrate:up\ncreate table t (id int);\n\n-- migrate:down\ndrop table t;\n',
    )
    expect(result.diagnostics).toEqual([])
    expect(result.up).toEqual({
      line: 2,
      sql: '-- migrate:up\ncreate table t (id int);\n\n',
      endLine: 4,
      transaction: true,
    })
    expect(result.down).toEqual({
      line: 5,
      sql: '-- migrate:down\ndrop table t;\n',
      endLine: 6,
      transaction: true,
    })
  })

  it('should read transaction:false from the directive line only', () => {
    const result = parse(
      '--migrate:up   transaction:false foo:bar\nselect 1;\n-- migrate:down\nselect 2;',
    )
    expect(result.up?.transaction).toBe(false)
    expect(result.down?.transaction).toBe(true)
    expect(result.down?.sql).toBe('-- migrate:down\nselect 2;')
  })

  it('should not take `-- migrate:upper` or an indented directive for a directive', () => {
    const result = parse('-- migrate:upper\nselect 1;\n')
    expect(result.diagnostics.map((d) => d.code)).toEqual(['MISSING_UP', 'MISSING_DOWN'])
  })
})

describe('dbmate format', () => {
  it('should load blocks with their transaction mode and record the version digits as written', async () => {
    const set = await discoverFixture('dbmate-basic')
    expect(set.format).toBe('dbmate')
    expect(set.diagnostics).toEqual([])
    expect(set.versionTable).toEqual({ table: 'schema_migrations' })
    const [users, index, crlf] = set.migrations
    expect(users?.record).toEqual({ format: 'dbmate', version: '20240101120000' })
    expect(users?.description).toBe('create_users')
    expect(users?.up.statements).toEqual([
      {
        sql: '-- migrate:up\ncreate table users (id bigserial primary key, status text);\n\n',
        line: 1,
        endLine: 3,
      },
    ])
    expect(index?.up).toMatchObject({ line: 2, transaction: false })
    expect(index?.down).toMatchObject({ line: 5, transaction: false })
    expect(crlf?.up.statements[0]?.sql).toBe('-- migrate:up\r\ncreate table crlf (id int);\r\n')
  })

  it('should apply files in name order, as dbmate does, and warn that it differs from numeric order', async () => {
    const set = await discoverFixture('dbmate-order')
    expect(set.migrations.map((m) => m.version)).toEqual(['001', '10', '2'])
    const d = set.diagnostics.find((x) => x.code === 'MIXED_VERSIONING')
    expect(d).toMatchObject({ severity: 'warning', file: fixturePath('dbmate-order', '10_c.sql') })
    expect(d?.message).toContain('10_c.sql runs before 2_b.sql')
    expect(d?.fix).toContain('002_b.sql')
  })

  it('should report every dbmate parse error with its line and dbmate’s own words', async () => {
    const set = await discoverFixture('dbmate-parse-errors', { format: 'dbmate' })
    const at = (name: string) =>
      set.diagnostics
        .filter((d) => d.file === fixturePath('dbmate-parse-errors', name))
        .map((d) => [d.severity, d.code, d.line])
    expect(at('001_missing_up.sql')).toEqual([['error', 'MISSING_UP', undefined]])
    expect(at('002_missing_down.sql')).toEqual([['error', 'MISSING_DOWN', undefined]])
    expect(at('003_down_first.sql')).toEqual([['error', 'DOWN_BEFORE_UP', 1]])
    expect(at('004_sql_before_up.sql')).toEqual([['error', 'SQL_BEFORE_UP', 3]])
    expect(at('005_two_downs.sql')).toEqual([['error', 'DUPLICATE_DOWN', 5]])
    expect(at('006_multiple_sections.sql')).toEqual([['error', 'MULTIPLE_SECTIONS', 6]])
    expect(at('007_bom.sql')).toEqual([['error', 'BOM', 1]])
    expect(at('008_near_miss.sql')).toEqual([
      ['error', 'MISSING_UP', 1],
      ['error', 'MISSING_DOWN', 3],
    ])
    const message = (code: string) => set.diagnostics.find((d) => d.code === code)?.message
    expect(message('MISSING_UP')).toContain(
      "dbmate requires each migration to define an up block with '-- migrate:up'",
    )
    expect(message('MISSING_DOWN')).toContain("define a down block with '-- migrate:down'")
    expect(message('DOWN_BEFORE_UP')).toContain(
      "requires '-- migrate:up' to appear before '-- migrate:down'",
    )
    expect(message('SQL_BEFORE_UP')).toContain(
      "does not support statements preceding the '-- migrate:up' block",
    )
    expect(message('DUPLICATE_DOWN')).toContain(
      "every '-- migrate:down' to be preceded by a '-- migrate:up'",
    )
    const sections = set.diagnostics.find((d) => d.code === 'MULTIPLE_SECTIONS')
    expect(sections?.message).toContain('duplicate key')
    expect(sections?.fix).toContain('split the file')
    expect(set.diagnostics.find((d) => d.line === 1 && d.code === 'MISSING_UP')?.message).toContain(
      '"-- Migrate:Up", is not a directive',
    )
  })

  it('should report two files with the same version digits, naming both', async () => {
    const set = await discoverFixture('dbmate-duplicate')
    const d = set.diagnostics.find((x) => x.code === 'DUPLICATE_VERSION' && x.severity === 'error')
    expect(d).toMatchObject({
      file: fixturePath('dbmate-duplicate', '001_b.sql'),
      related: [{ file: fixturePath('dbmate-duplicate', '001_a.sql'), line: 1 }],
    })
    expect(d?.message).toContain('001_a.sql and 001_b.sql')
    expect(d?.message).toContain('never runs it')
    expect(d?.fix).toContain('003_b.sql')
    expect(set.migrations.map((m) => m.files[0])).not.toContain(
      fixturePath('dbmate-duplicate', '001_b.sql'),
    )
  })

  it('should warn when one number is written two ways, since dbmate sees two versions', async () => {
    const set = await discoverFixture('dbmate-duplicate')
    const d = set.diagnostics.find(
      (x) => x.code === 'DUPLICATE_VERSION' && x.severity === 'warning',
    )
    expect(d?.file).toBe(fixturePath('dbmate-duplicate', '1_c.sql'))
    expect(d?.message).toContain('"001" and "1"')
  })

  it('should say a dbmate file without a down block is an error, not a warning', async () => {
    const set = await discoverFixture('dbmate-parse-errors', { format: 'dbmate' })
    const d = set.diagnostics.find(
      (x) => x.file === fixturePath('dbmate-parse-errors', '002_missing_down.sql'),
    )
    expect(d).toMatchObject({ severity: 'error', code: 'MISSING_DOWN' })
    expect(set.diagnostics.filter((x) => x.code === 'MISSING_DOWN').map((x) => x.severity)).toEqual(
      ['error', 'error'],
    )
  })
})
