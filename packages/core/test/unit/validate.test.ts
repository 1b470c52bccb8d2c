import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { lintMigrations } from '../../src/lint/run.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { isTimestampVersion } from '../../src/migrations/files/validate.js'
import { discoverFixture, fixturePath, single, withCode } from '../helpers/discovery.js'
import { withTempDir } from '../helpers/migration-set.js'

describe('timestamp versions (goose’s definition)', () => {
  it.each([
    [20240131235959n, true],
    [20240229000000n, true],
    [19700101000001n, true],
    [20230229000000n, false],
    [20240230000000n, false],
    [20241301000000n, false],
    [20240101240000n, false],
    [20240101236000n, false],
    [19700101000000n, false],
    [19691231235959n, false],
    [2024013123595n, false],
    [202401312359590n, false],
    [1n, false],
  ])('should classify %s as timestamp: %s', (version, expected) => {
    expect(isTimestampVersion(version)).toBe(expected)
  })
})

describe('MIXED_VERSIONING', () => {
  it('should fail sequential and timestamp versions in one folder, naming both kinds and goose fix', async () => {
    const set = await discoverFixture('mixed-versioning')
    const d = single(set, 'MIXED_VERSIONING')
    expect(d).toMatchObject({
      severity: 'error',
      file: fixturePath('mixed-versioning', '20240315093000_add_email.sql'),
      line: 1,
      related: [{ file: fixturePath('mixed-versioning', '00001_create_users.sql') }],
    })
    expect(d.message).toContain(
      'mix sequential and timestamp versions: 2 sequential (00001_create_users.sql, 00002_create_orders.sql) and 1 timestamp (YYYYMMDDhhmmss) (20240315093000_add_email.sql)',
    )
    expect(d.fix).toContain(
      'fix` to renumber the timestamped files (20240315093000_add_email.sql → 00003_add_email.sql) and create new migrations with `goose create -s`, so every version stays sequential',
    )
    expect(d.fix).toContain("with goose's hybrid versioning")
  })

  it('should list the first three files of each scheme and what goose fix renames them to, in version order', async () => {
    await withTempDir(async (dir) => {
      const names = [
        ...[1, 2, 3, 4, 7].map((v) => `${String(v).padStart(5, '0')}_s${v}.sql`),
        '20240102030405_t2.sql',
        '20240101000000_t1.sql',
        '20240301000000_t3.sql',
        '20240401000000_t4.sql',
      ]
      for (const n of names) writeFileSync(path.join(dir, n), '-- +goose Up\nSELECT 1;\n')
      const d = single(await discoverMigrations({ migrations: dir }), 'MIXED_VERSIONING')
      expect(d.message).toContain(
        '5 sequential (00001_s1.sql, 00002_s2.sql, 00003_s3.sql and 2 more) and 4 timestamp (YYYYMMDDhhmmss) (20240101000000_t1.sql, 20240102030405_t2.sql, 20240301000000_t3.sql and 1 more)',
      )
      expect(d.fix).toContain(
        '(20240101000000_t1.sql → 00008_t1.sql, 20240102030405_t2.sql → 00009_t2.sql, 20240301000000_t3.sql → 00010_t3.sql and 1 more)',
      )
    })
  })

  it('should not report a folder that uses one scheme', async () => {
    const set = await discoverFixture('dbmate-basic')
    expect(withCode(set, 'MIXED_VERSIONING')).toEqual([])
  })
})

describe('VERSION_GAP', () => {
  it('should warn once per gap between sequential versions, naming the missing range and both neighbours', async () => {
    const set = await discoverFixture('version-gap')
    const gaps = withCode(set, 'VERSION_GAP')
    expect(gaps.map((d) => [d.severity, d.file, d.line])).toEqual([
      ['warning', fixturePath('version-gap', '00005_e.sql'), 1],
      ['warning', fixturePath('version-gap', '00007_g.sql'), 1],
    ])
    expect(gaps[0]?.message).toContain(
      'versions 3–4 are missing between 00002_b.sql and 00005_e.sql',
    )
    expect(gaps[0]?.message).toContain('-allow-missing')
    expect(gaps[1]?.message).toContain('version 6 is missing between 00005_e.sql and 00007_g.sql')
    expect(gaps[0]?.related).toEqual([{ file: fixturePath('version-gap', '00002_b.sql') }])
  })

  it('should not treat date-like versions as a counter with gaps', async () => {
    const set = await discoverFixture('version-gap-dates')
    expect(set.diagnostics).toEqual([])
  })
})

describe('MISSING_DOWN (and empty Down sections)', () => {
  it('should warn about a goose file without a Down section', async () => {
    const set = await discoverFixture('missing-down')
    const d = single(set, 'MISSING_DOWN')
    expect(d).toMatchObject({
      severity: 'warning',
      file: fixturePath('missing-down', '00002_without_down.sql'),
    })
    expect(d.message).toContain('no `-- +goose Down` section')
    expect(d.fix).toContain('add `-- +goose Down`')
  })

  it('should warn about a golang-migrate up file without a down file, naming the file to add', async () => {
    const set = await discoverFixture('missing-down-golang-migrate')
    const d = single(set, 'MISSING_DOWN')
    expect(d).toMatchObject({
      severity: 'warning',
      file: fixturePath('missing-down-golang-migrate', '2_b.up.sql'),
    })
    expect(d.fix).toContain('add 2_b.down.sql')
  })

  it.each([
    ['empty-down', '00002_b.sql'],
    ['empty-down-dbmate', '20240101120000_a.sql'],
  ])(
    'should leave a Down section without SQL in %s to lint, which reports it once at the Down line',
    async (folder, file) => {
      const set = await discoverFixture(folder)
      expect(set.diagnostics.map((d) => d.code)).toEqual([])
      const linted = await lintMigrations(set)
      const empty = linted.filter((d) => d.code.endsWith('EMPTY_DOWN'))
      expect(empty).toMatchObject([
        { severity: 'warning', code: 'LINT_EMPTY_DOWN', file: fixturePath(folder, file), line: 4 },
      ])
      expect(empty[0]?.message).toContain(`the Down section of ${file} is empty`)
    },
  )

  it('should never ask drizzle for down migrations', async () => {
    const set = await discoverFixture('detect-drizzle')
    expect(withCode(set, 'MISSING_DOWN')).toEqual([])
  })
})
