import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { MAX_MIGRATION_FILE_BYTES } from '../../src/migrations/files/read-file.js'
import type { MigrationSet } from '../../src/migrations/types.js'

const UP = (table: string) =>
  `-- +goose Up\nCREATE TABLE ${table} (id int);\n\n-- +goose Down\nDROP TABLE ${table};\n`

let root: string
let dir: string
let set: MigrationSet

// Every hostile input is made here, at test time: git cannot hold a FIFO, a loop or a 64 MiB file.
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-hostile-'))
  dir = path.join(root, 'migrations')
  mkdirSync(dir)
  writeFileSync(path.join(dir, '00001_ok.sql'), UP('ok'))
  symlinkSync('.', path.join(dir, 'loop'))
  execFileSync('mkfifo', [path.join(dir, '00002_pipe.sql')])
  symlinkSync('/dev/zero', path.join(dir, '00003_zero.sql'))
  // 0xe9 is "é" in Latin-1: a decoder that replaces it would change the column default.
  writeFileSync(
    path.join(dir, '00004_latin1.sql'),
    Buffer.concat([
      Buffer.from("-- +goose Up\nCREATE TABLE latin (name text DEFAULT 'caf"),
      Buffer.from([0xe9]),
      Buffer.from("');\n"),
    ]),
  )
  writeFileSync(path.join(dir, '00005_line\nbreak.sql'), UP('lf'))
  writeFileSync(path.join(dir, '00006_carriage\rreturn.sql'), UP('cr'))
  mkdirSync(path.join(dir, '00007_dir.sql'))
  writeFileSync(path.join(dir, '00008_big.sql'), '')
  truncateSync(path.join(dir, '00008_big.sql'), MAX_MIGRATION_FILE_BYTES + 1) // sparse: no disk
  writeFileSync(path.join(root, 'outside.sql'), UP('linked'))
  symlinkSync('../outside.sql', path.join(dir, '00009_link.sql'))
  set = await discoverMigrations({ cwd: root, migrations: 'migrations', format: 'goose' })
}, 10_000)
afterAll(() => rmSync(root, { recursive: true, force: true }))

const about = (name: string) => set.diagnostics.filter((d) => d.file === path.join(dir, name))

describe('discovery of hostile migrations folders', () => {
  test('should take only the regular file and the symlink to a regular file, walking the loop once', () => {
    expect(set.migrations.map((m) => path.basename(m.up.file))).toEqual([
      '00001_ok.sql',
      '00009_link.sql',
    ])
    expect(set.diagnostics.some((d) => d.file?.includes('loop/'))).toBe(false)
  })

  test('should report a FIFO and a symlink to a device as errors instead of reading them', () => {
    expect(about('00002_pipe.sql')).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'UNREADABLE_FILE',
        message:
          '00002_pipe.sql is a FIFO (named pipe), not a regular file, so pgtestbed does not read it',
      }),
    ])
    expect(about('00003_zero.sql')).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'UNREADABLE_FILE',
        message:
          '00003_zero.sql is a character device, not a regular file, so pgtestbed does not read it',
      }),
    ])
  })

  test('should refuse invalid UTF-8 naming the file, the line and the byte offset', () => {
    expect(about('00004_latin1.sql')).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'UNREADABLE_FILE',
        line: 2,
        message:
          'could not read 00004_latin1.sql: it is not valid UTF-8: byte 0xe9 at byte offset 55 (line 2, byte 43 of the line) does not start a valid UTF-8 character',
      }),
    ])
  })

  test('should report names with LF or CR and a folder named like a migration, never skip them silently', () => {
    expect(about('00005_line\nbreak.sql')).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'BAD_FILENAME',
        message:
          '"00005_line\\nbreak.sql" has a line break (LF or CR) in its name: no migration tool reads it reliably, so pgtestbed does not take it',
      }),
    ])
    expect(about('00006_carriage\rreturn.sql').map((d) => d.code)).toEqual(['BAD_FILENAME'])
    expect(about('00007_dir.sql')).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'STRAY_FILE',
        message: '00007_dir.sql/ is a folder named like a migration file; no tool applies a folder',
      }),
    ])
  })

  test('should refuse a file past the size cap with its size', () => {
    expect(about('00008_big.sql')).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'UNREADABLE_FILE',
        message: `could not read 00008_big.sql: it is ${MAX_MIGRATION_FILE_BYTES + 1} bytes, larger than the ${MAX_MIGRATION_FILE_BYTES}-byte cap on a migration file`,
      }),
    ])
  })
})
