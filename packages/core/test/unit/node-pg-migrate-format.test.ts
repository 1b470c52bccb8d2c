import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import {
  compareNodePgMigrateNames,
  splitNodePgMigrateSql,
} from '../../src/migrations/files/formats/node-pg-migrate.js'
import { single, withCode } from '../helpers/discovery.js'

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/node-pg-migrate/${name}`, import.meta.url))

describe('node-pg-migrate SQL sections', () => {
  it('should cut Up and Down at the markers, each keeping its marker line, as the tool slices them', () => {
    const text = '-- Up Migration\nCREATE TABLE t (id int);\n\n-- Down Migration\nDROP TABLE t;\n'
    const { up, down } = splitNodePgMigrateSql(text, '/m/1_t.sql')
    // The down marker's `^\s*` match starts on the blank line above it, so that line is Down's.
    expect(up).toEqual({
      file: '/m/1_t.sql',
      line: 1,
      statements: [{ sql: '-- Up Migration\nCREATE TABLE t (id int);\n', line: 1, endLine: 2 }],
      transaction: true,
    })
    expect(down?.line).toBe(4)
    expect(down?.statements).toEqual([
      { sql: '\n-- Down Migration\nDROP TABLE t;\n', line: 3, endLine: 5 },
    ])
  })

  it('should read markers in any case and with extra dashes, and a Down section written first', () => {
    const text = '--- down migration\nDROP TABLE t;\n--UP   MIGRATION\nCREATE TABLE t (id int);\n'
    const { up, down } = splitNodePgMigrateSql(text, '/m/1_t.sql')
    expect(up.statements[0]?.sql).toBe('--UP   MIGRATION\nCREATE TABLE t (id int);\n')
    expect(up.line).toBe(3)
    expect(down?.statements[0]?.sql).toBe('--- down migration\nDROP TABLE t;\n')
  })

  it('should start a section on the blank lines before its marker, where the tool’s ^\\s* match starts', () => {
    const text = 'SELECT 0;\n\n\n  -- Up Migration\nSELECT 1;\n'
    const { up } = splitNodePgMigrateSql(text, '/m/1_t.sql')
    expect(up.statements[0]).toEqual({
      sql: '\n\n  -- Up Migration\nSELECT 1;\n',
      line: 2,
      endLine: 5,
    })
    expect(up.line).toBe(4)
  })

  it('should make a file without markers all Up, with no Down', () => {
    const { up, down } = splitNodePgMigrateSql('CREATE TABLE t (id int);\n', '/m/1_t.sql')
    expect(up.statements[0]?.sql).toBe('CREATE TABLE t (id int);\n')
    expect(down).toBeNull()
  })
})

describe('node-pg-migrate file order', () => {
  it('should order by numeric prefix, reading 17 digits as a UTC time in ms, then by name', () => {
    const names = [
      '1700006500000_seed.sql',
      '20231115000000000_add-posts.sql', // 2023-11-15T00:00:00.000Z = 1700006400000
      '1700000000000_create-users.sql',
      '1700006400001_tags.sql',
      '0002_b.sql',
      '0002_a.sql',
      '10_x.sql',
    ]
    expect([...names].sort(compareNodePgMigrateNames)).toEqual([
      '0002_a.sql',
      '0002_b.sql',
      '10_x.sql',
      '1700000000000_create-users.sql',
      '20231115000000000_add-posts.sql',
      '1700006400001_tags.sql',
      '1700006500000_seed.sql',
    ])
  })
})

describe('node-pg-migrate folders', () => {
  it('should detect the markers and read every file in the tool’s order', async () => {
    const set = await discoverMigrations({ migrations: fixture('basic') })
    expect(set.format).toBe('node-pg-migrate')
    expect(set.versionTable).toEqual({ schema: 'public', table: 'pgmigrations' })
    expect(set.migrations.map((m) => m.version)).toEqual([
      '1700000000000_create-users',
      '20231115000000000_add-posts',
      '1700006400001_tags',
      '1700006500000_seed-roles',
    ])
    expect(set.migrations.map((m) => m.record)).toEqual(
      set.migrations.map((m) => ({ format: 'node-pg-migrate', name: m.version })),
    )
    expect(set.migrations.every((m) => m.up.transaction)).toBe(true)
    // The seed has no Down marker: node-pg-migrate refuses to roll it back.
    const missingDown = single(set, 'MISSING_DOWN')
    expect(missingDown.severity).toBe('warning')
    expect(missingDown.message).toContain('1700006500000_seed-roles.sql has no `-- Down Migration`')
    expect(set.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  })

  it('should report what node-pg-migrate would refuse or run wrongly', async () => {
    const set = await discoverMigrations({ migrations: fixture('problems') })
    expect(set.format).toBe('node-pg-migrate')
    const codes = set.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => [d.code, path.basename(d.file ?? '')])
    expect(codes).toEqual(
      expect.arrayContaining([
        ['BAD_FILENAME', 'README.md'],
        ['UNSUPPORTED_MIGRATION', '1700000000002_script.js'],
        ['MISSING_UP', '1700000000001_down-only.sql'],
        ['BOM', '1700000000003_bom.sql'],
        ['BAD_FILENAME', "1700000000004_it's.sql"],
      ]),
    )
    expect(codes).toHaveLength(5)
    const readme = withCode(set, 'BAD_FILENAME').find((d) => d.file?.endsWith('README.md'))
    expect(readme?.message).toContain('Cannot determine numeric prefix for "README.md"')
    const script = single(set, 'UNSUPPORTED_MIGRATION')
    expect(script.fix).toContain("migrate: { command: 'npx node-pg-migrate up'")
    const downOnly = single(set, 'MISSING_UP')
    expect(downOnly.message).toContain('Down section included, as the Up migration')
    expect(set.migrations.map((m) => m.version)).toEqual(['1700000000000_ok'])
  })

  it('should say the manifest cannot live in the migrations folder, which node-pg-migrate reads whole', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const dir = await mkdtemp(path.join(tmpdir(), 'pgtestbed-npm-'))
    try {
      await writeFile(path.join(dir, '1_a.sql'), '-- Up Migration\nSELECT 1;\n')
      await writeFile(path.join(dir, 'pgtestbed.sum'), 'h1:x\n')
      const set = await discoverMigrations({ migrations: dir })
      const d = single(set, 'BAD_FILENAME')
      expect(d.message).toContain('pgtestbed.sum has no numeric prefix')
      expect(d.fix).toContain("manifest: './pgtestbed.sum'")
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
