import { describe, expect, test } from 'vitest'
import { sqlOfDump } from '../../src/diff/dump.js'
import { compileIgnore, ignorePatternProblems } from '../../src/diff/ignore.js'
import { indexColumns } from '../../src/diff/inspect.js'
import { displayId, displayName } from '../../src/diff/names.js'
import { formatDiffText } from '../../src/diff/report.js'
import type { SchemaObject } from '../../src/diff/types.js'
import { databaseEnv } from '../../src/internal/run-command.js'

const object = (kind: SchemaObject['kind'], path: string[]): SchemaObject => ({
  kind,
  key: `${kind} ${displayId(path)}`,
  id: displayId(path),
  path,
  attributes: {},
  details: {},
})

describe('databaseEnv', () => {
  test('should give the command DATABASE_URL and the libpq variables of one database', () => {
    expect(
      databaseEnv('postgres://app:s%40cret@db.internal:6543/pgtestbed_s_1?sslmode=require'),
    ).toEqual({
      DATABASE_URL: 'postgres://app:s%40cret@db.internal:6543/pgtestbed_s_1?sslmode=require',
      PGHOST: 'db.internal',
      PGPORT: '6543',
      PGUSER: 'app',
      PGPASSWORD: 's@cret',
      PGDATABASE: 'pgtestbed_s_1',
      PGSSLMODE: 'require',
    })
    expect(databaseEnv('postgres://postgres@127.0.0.1/x')).toEqual({
      DATABASE_URL: 'postgres://postgres@127.0.0.1/x',
      PGHOST: '127.0.0.1',
      PGPORT: '5432',
      PGUSER: 'postgres',
      PGDATABASE: 'x',
    })
  })
})

describe('sqlOfDump', () => {
  test('should blank psql meta-commands and COPY data, keeping every line where it was', () => {
    const dump = [
      '\\restrict abc',
      'CREATE TABLE t (id int);',
      'COPY public.t (id) FROM stdin;',
      '1',
      '2',
      '\\.',
      'CREATE INDEX t_id ON t (id);',
      '\\unrestrict abc',
    ].join('\n')
    expect(sqlOfDump(dump).split('\n')).toEqual([
      '',
      'CREATE TABLE t (id int);',
      '',
      '',
      '',
      '',
      'CREATE INDEX t_id ON t (id);',
      '',
    ])
  })
})

describe('indexColumns', () => {
  test('should read the key columns with their order, operator classes and expressions', () => {
    expect(
      indexColumns(
        "CREATE INDEX ix ON public.t USING btree (a DESC NULLS LAST, lower((c)::text) text_pattern_ops) INCLUDE (b) WHERE (a > ')')",
      ),
    ).toBe('a DESC NULLS LAST, lower((c)::text) text_pattern_ops')
    expect(indexColumns('CREATE INDEX "odd (name)" ON public.t USING gin (doc)')).toBe('doc')
  })
})

describe('diff.ignore patterns', () => {
  test('should match a kind and a glob on the dotted name, or any kind', () => {
    const ignore = compileIgnore(['table public.audit_*', '*.tmp_*', 'type app.legacy_*'])!
    expect(ignore(object('table', ['public', 'audit_2025']))).toBe(true)
    expect(ignore(object('view', ['public', 'audit_2025']))).toBe(false)
    expect(ignore(object('index', ['public', 'tmp_x']))).toBe(true)
    expect(ignore(object('enum', ['app', 'legacy_mood']))).toBe(true)
    expect(ignore(object('table', ['app', 'legacy_mood']))).toBe(false)
    expect(compileIgnore([])).toBeUndefined()
  })

  test('should name a pattern whose kind is not one', () => {
    expect(
      ignorePatternProblems(['tabel public.x', 'materialized view public.mv', 'table ']),
    ).toEqual([
      expect.stringMatching(
        /^"tabel public.x" starts with "tabel", which is not a kind of object \(schema, extension, enum/,
      ),
    ])
  })
})

describe('names and reports', () => {
  test('should quote only the names PostgreSQL would quote', () => {
    expect(displayName('users')).toBe('users')
    expect(displayName('Order')).toBe('"Order"')
    expect(displayId(['public', 'Order', 'total cents'])).toBe('public."Order"."total cents"')
  })

  test('should show a multi-line difference as a line diff with both sides named', () => {
    const text = formatDiffText(
      {
        same: false,
        groups: [
          {
            kind: 'function',
            id: 'public.f()',
            key: 'function public.f()',
            differences: [
              {
                kind: 'function',
                id: 'public.f()',
                change: 'changed',
                attribute: 'body',
                expected: 'BEGIN\n  RETURN 1;\nEND',
                actual: 'BEGIN\n  RETURN 2;\nEND',
              },
            ],
          },
        ],
      },
      { labels: { expected: 'migrations', actual: 'live database' } },
    )
    expect(text).toBe(
      [
        'function public.f()',
        '  body',
        '    --- migrations',
        '    +++ live database',
        '    @@ -1,3 +1,3 @@',
        '     BEGIN',
        '    -  RETURN 1;',
        '    +  RETURN 2;',
        '     END',
      ].join('\n'),
    )
  })
})
