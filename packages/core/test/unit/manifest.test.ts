import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  computeManifest,
  formatManifest,
  parseManifest,
  readManifest,
  writeManifest,
} from '../../src/migrations/files/manifest.js'
import { DiagnosticsError } from '../../src/errors.js'
import { isPgtestbedError } from '../../src/errors.js'
import { drizzleFixture } from '../helpers/drizzle-context.js'
import { buildSet, manifestFixture, tempFolder } from '../helpers/manifest-set.js'
import type { TempFolder } from '../helpers/manifest-set.js'

const temps: TempFolder[] = []
const temp = async (options: Parameters<typeof tempFolder>[0]) => {
  const folder = await tempFolder(options)
  temps.push(folder)
  return folder
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((t) => t.cleanup()))
})

describe('manifest format', () => {
  it('should write the golden pgtestbed.sum for a goose folder, byte for byte', async () => {
    const set = await buildSet(manifestFixture('goose-basic'), 'goose')
    const golden = await readFile(path.join(set.dir, 'pgtestbed.sum'), 'utf8')
    expect(formatManifest(await computeManifest(set))).toBe(golden)
  })

  it('should chain SHA-256 over the previous value, the framed path and the bytes, as documented', async () => {
    const dir = manifestFixture('goose-basic')
    const bytes = await readFile(path.join(dir, '001_create_users.sql'))
    const first = createHash('sha256')
      .update(Buffer.alloc(32))
      .update(`file 20:001_create_users.sql ${bytes.length}\n`)
      .update(bytes)
      .digest()
    const manifest = await computeManifest(await buildSet(dir, 'goose'))
    expect(manifest.entries[0]).toEqual({
      path: '001_create_users.sql',
      sum: `h1:${first.toString('base64')}`,
    })
    const lines = formatManifest(manifest).split('\n').slice(1, -1)
    const header = createHash('sha256')
      .update(lines.map((l) => `${l}\n`).join(''))
      .digest('base64')
    expect(manifest.sum).toBe(`h1:${header}`)
  })

  it('should give the same manifest for CRLF and LF files', async () => {
    const lf = await temp({ from: manifestFixture('goose-basic') })
    const crlf = await temp({ from: manifestFixture('goose-basic') })
    for (const name of ['001_create_users.sql', '002_add_email.sql', '003_index_email.sql']) {
      const text = await readFile(path.join(lf.dir, name), 'utf8')
      await crlf.write(name, text.replace(/\n/g, '\r\n'))
    }
    const a = await computeManifest(await buildSet(lf.dir, 'goose'))
    const b = await computeManifest(await buildSet(crlf.dir, 'goose'))
    expect(b).toEqual(a)
  })

  it('should chain every file of a migration: golang-migrate down files and drizzle journal entries', async () => {
    const gm = await temp({ from: manifestFixture('golang-migrate') })
    const before = await computeManifest(await buildSet(gm.dir, 'golang-migrate'))
    expect(before.entries.map((e) => e.path)).toEqual([
      '000001_create_accounts.up.sql',
      '000002_add_name.up.sql',
    ])
    await gm.write('000001_create_accounts.down.sql', 'DROP TABLE accounts CASCADE;\n')
    const after = await computeManifest(await buildSet(gm.dir, 'golang-migrate'))
    expect(after.entries[0]?.sum).not.toBe(before.entries[0]?.sum)
    expect(after.entries[1]?.sum).not.toBe(before.entries[1]?.sum)

    const dz = await temp({ from: drizzleFixture('journal-basic') })
    const journalBefore = await computeManifest(await buildSet(dz.dir, 'drizzle'))
    const journal = await readFile(path.join(dz.dir, 'meta/_journal.json'), 'utf8')
    await dz.write('meta/_journal.json', journal.replace('1700000200000', '1700000200001'))
    const journalAfter = await computeManifest(await buildSet(dz.dir, 'drizzle'))
    // Only the entry whose "when" changed (and so every later one) gets a new chain value.
    expect(journalAfter.entries.slice(0, 2)).toEqual(journalBefore.entries.slice(0, 2))
    expect(journalAfter.entries[2]?.sum).not.toBe(journalBefore.entries[2]?.sum)
  })

  it('should name drizzle v1 migrations by <folder>/migration.sql', async () => {
    const manifest = await computeManifest(await buildSet(drizzleFixture('v1-basic'), 'drizzle'))
    expect(manifest.entries.map((e) => e.path)).toEqual([
      '20250101120000_init/migration.sql',
      '20250102090000_add_posts/migration.sql',
    ])
  })

  it('should round-trip through parse, quoting paths with spaces', () => {
    const entries = [
      { path: '001_init.sql', sum: `h1:${Buffer.alloc(32, 1).toString('base64')}` },
      { path: 'odd name "x".sql', sum: `h1:${Buffer.alloc(32, 2).toString('base64')}` },
    ]
    const lines = [`001_init.sql ${entries[0]?.sum}`, `"odd name \\"x\\".sql" ${entries[1]?.sum}`]
    const header = createHash('sha256')
      .update(lines.map((l) => `${l}\n`).join(''))
      .digest('base64')
    const text = formatManifest({ sum: `h1:${header}`, entries })
    expect(text).toBe(`h1:${header}\n${lines.join('\n')}\n`)
    const parsed = parseManifest(text, '/m/pgtestbed.sum')
    expect(parsed.diagnostics).toEqual([])
    expect(parsed.entries).toEqual([
      { ...entries[0], line: 2 },
      { ...entries[1], line: 3 },
    ])
  })

  it('should report a header that does not match the lines as tampering', () => {
    const text = formatManifest({
      sum: `h1:${Buffer.alloc(32).toString('base64')}`,
      entries: [{ path: '001_init.sql', sum: `h1:${Buffer.alloc(32, 1).toString('base64')}` }],
    })
    expect(parseManifest(text, '/m/pgtestbed.sum').diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_TAMPERED',
        message:
          'pgtestbed.sum: the header checksum does not match the lines below it; the file was edited by hand or merged',
        file: '/m/pgtestbed.sum',
        line: 1,
        fix: 'resolve what changed (see the other manifest errors), then run `pgtestbed manifest --write`; never edit pgtestbed.sum by hand',
      },
    ])
  })
})

describe('parsing pgtestbed.sum', () => {
  const file = '/repo/migrations/pgtestbed.sum'
  const sum = (n: number) => `h1:${Buffer.alloc(32, n).toString('base64')}`

  it('should report malformed lines with their line numbers and keep the good ones', () => {
    const parsed = parseManifest(
      `${sum(0)}\r\n001_a.sql ${sum(1)}\r\n002_b.sql\n003_c.sql sha256:abc\n\n001_a.sql ${sum(1)}\n`,
      file,
    )
    expect(parsed.entries.map((e) => [e.path, e.line])).toEqual([['001_a.sql', 2]])
    expect(parsed.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_INVALID',
        message: 'pgtestbed.sum: line 3 is not "<path> h1:<base64>": no checksum after the path',
        file,
        line: 3,
        fix: 'check the migrations, then run `pgtestbed manifest --write` to rewrite pgtestbed.sum',
      },
      expect.objectContaining({
        line: 4,
        message:
          'pgtestbed.sum: line 4 is not "<path> h1:<base64>": "sha256:abc" is not an h1: checksum',
      }),
      expect.objectContaining({
        line: 6,
        message: 'pgtestbed.sum: 001_a.sql is listed twice (lines 2 and 6)',
      }),
    ])
  })

  it('should refuse a file in a future format instead of misreading it', () => {
    const parsed = parseManifest(`h2:abc\n001_a.sql h2:def\n`, file)
    // One diagnostic, no entries, no header: checkManifest stops there.
    expect(parsed.sum).toBe('')
    expect(parsed.entries).toEqual([])
    expect(parsed.diagnostics).toHaveLength(1)
    expect(parsed.diagnostics[0]).toMatchObject({
      code: 'MANIFEST_INVALID',
      line: 1,
      message: 'pgtestbed.sum: is in format h2, which this version of pgtestbed cannot read',
      fix: 'upgrade pgtestbed, or run `pgtestbed manifest --write` to rewrite it in format h1',
    })
  })

  it('should report merge conflict markers once, as tampering, with the marker line', () => {
    const parsed = parseManifest(
      `${sum(0)}\n001_a.sql ${sum(1)}\n<<<<<<< HEAD\n002_b.sql ${sum(2)}\n=======\n002_c.sql ${sum(3)}\n>>>>>>> feature\n`,
      file,
    )
    expect(parsed.sum).toBe('')
    expect(parsed.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_TAMPERED',
        message:
          'pgtestbed.sum has unresolved merge conflict markers: two branches changed the migrations',
        file,
        line: 3,
        fix:
          "merge both branches' migrations into the folder, renumber the ones not yet applied anywhere so they sort after the others, " +
          'delete the conflicted lines and run `pgtestbed manifest --write`',
      },
    ])
  })

  it('should report an empty file', () => {
    expect(parseManifest('\n\n', file).diagnostics).toMatchObject([
      { code: 'MANIFEST_INVALID', line: 1, message: 'pgtestbed.sum: is empty' },
    ])
  })

  it('should report a missing manifest file as MANIFEST_NOT_FOUND', async () => {
    const parsed = await readManifest('/nonexistent/pgtestbed.sum')
    expect(parsed.found).toBe(false)
    expect(parsed.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_NOT_FOUND',
        message: 'the manifest pgtestbed.sum does not exist',
        file: '/nonexistent/pgtestbed.sum',
        fix: 'review the migrations, then run `pgtestbed manifest --write` to create it',
      },
    ])
  })
})

describe('writeManifest', () => {
  it('should write <dir>/pgtestbed.sum by default and report no change the second time', async () => {
    const folder = await temp({ from: manifestFixture('goose-basic') })
    await folder.remove('pgtestbed.sum')
    const set = await buildSet(folder.dir, 'goose')
    const first = await writeManifest(set)
    expect(first).toEqual({ file: path.join(folder.dir, 'pgtestbed.sum'), changed: true })
    expect(await readFile(first.file, 'utf8')).toBe(
      await readFile(path.join(manifestFixture('goose-basic'), 'pgtestbed.sum'), 'utf8'),
    )
    expect(await writeManifest(set)).toEqual({ file: first.file, changed: false })
    await folder.write('004_more.sql', '-- +goose Up\nSELECT 4;\n')
    expect(
      await writeManifest(await buildSet(folder.dir, 'goose'), 'locks/../custom.sum', {
        cwd: folder.dir,
      }),
    ).toEqual({
      file: path.join(folder.dir, 'custom.sum'),
      changed: true,
    })
  })

  it('should refuse to write while migrations have errors, so no broken file is left out silently', async () => {
    const folder = await temp({ from: drizzleFixture('journal-unlisted') })
    const set = await buildSet(folder.dir, 'drizzle')
    const error = await writeManifest(set).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DiagnosticsError)
    expect((error as DiagnosticsError).code).toBe('VALIDATION_FAILED')
    expect((error as DiagnosticsError).message).toMatch(
      /^refusing to write pgtestbed\.sum: fix the migrations in .+ first: 1 error\n\S*0002_archive_status\.sql {2}error JOURNAL_UNLISTED_FILE /,
    )
  })

  it('should fail with MANIFEST_WRITE_FAILED, the file, the cause and a fix when the folder is missing', async () => {
    const set = await buildSet(manifestFixture('goose-basic'), 'goose')
    const error = await writeManifest(set, '/nonexistent-dir/pgtestbed.sum').catch(
      (e: unknown) => e,
    )
    expect(isPgtestbedError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'MANIFEST_WRITE_FAILED',
      fix: 'the folder /nonexistent-dir does not exist: check the manifest path (the default is pgtestbed.sum in the migrations folder), or create the folder',
      cause: { code: 'ENOENT' },
    })
    expect((error as Error).message).toMatch(
      /^cannot write the manifest \/nonexistent-dir\/pgtestbed\.sum: ENOENT/,
    )
  })
})
