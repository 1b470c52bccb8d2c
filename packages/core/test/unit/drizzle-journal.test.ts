import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { drizzleFormat } from '../../src/migrations/files/formats/drizzle.js'
import { formatDiagnostics } from '../../src/diagnostics.js'
import type { Diagnostic } from '../../src/diagnostics.js'
import {
  drizzleFixture,
  folderContext,
  loadDrizzleFixture,
  memoryContext,
} from '../helpers/drizzle-context.js'

const codes = (diagnostics: readonly Diagnostic[]) => diagnostics.map((d) => d.code)
const VECTOR =
  'CREATE TABLE "t" (\n\t"id" serial PRIMARY KEY NOT NULL\n);\n--> statement-breakpoint\nCREATE INDEX "i" ON "t" ("id");'
const journal = (entries: object[]) =>
  JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2)

describe('drizzle journal layout', () => {
  it('should detect a folder with meta/_journal.json with certainty and a goose folder not at all', async () => {
    const journal = await drizzleFormat.detect(await folderContext(drizzleFixture('journal-basic')))
    expect(journal.score).toBe(3)
    expect(journal.evidence).toContain('meta/_journal.json')
    const goose = await drizzleFormat.detect(memoryContext({ '001_init.sql': '-- +goose Up' }))
    expect(goose).toEqual({ score: 0, evidence: [] })
  })

  it('should load entries in journal order with the hash, when and chunks drizzle would use', async () => {
    const { context, result } = await loadDrizzleFixture('journal-basic')
    expect(result.diagnostics).toEqual([])
    expect(result.layout).toBe('journal')
    expect(result.migrations.map((m) => [m.index, m.version, m.description])).toEqual([
      [0, '0000_test_vector', 'test_vector'],
      [1, '0001_add_users', 'add_users'],
      [2, '0002_seed_roles', 'seed_roles'],
    ])
    const [first, second] = result.migrations
    expect(first?.record).toEqual({
      format: 'drizzle',
      hash: '2cdeae4fe03eb65a5d24f02ac9268dcb24525a6fe8e64c8d55f54559a5fb4952',
      createdAt: 1700000000000,
    })
    expect(first?.up.statements.map((s) => s.sql)).toEqual(VECTOR.split('--> statement-breakpoint'))
    expect(first?.up).toMatchObject({
      file: path.join(context.dir, '0000_test_vector.sql'),
      line: 1,
      transaction: true,
    })
    expect(first?.down).toBeNull()
    expect(first?.files).toEqual([path.join(context.dir, '0000_test_vector.sql')])
    // `;--> statement-breakpoint\n\nCREATE INDEX` keeps the blank line; the statement points past it.
    expect(second?.up.statements.map((s) => [s.line, s.endLine])).toEqual([
      [1, 4],
      [5, 5],
      [7, 7],
    ])
    expect(result.files).toEqual([
      path.join(context.dir, 'meta', '_journal.json'),
      path.join(context.dir, '0000_test_vector.sql'),
      path.join(context.dir, '0001_add_users.sql'),
      path.join(context.dir, '0002_seed_roles.sql'),
    ])
  })

  it('should read every file once', async () => {
    const context = await folderContext(drizzleFixture('journal-basic'))
    await drizzleFormat.detect(context)
    await drizzleFormat.load(context)
    expect([...context.reads.values()].every((n) => n === 1)).toBe(true)
  })

  it('should hash a CRLF file with its CRs, as drizzle does, and keep a BOM in the first chunk', async () => {
    const crlf = VECTOR.replace(/\n/g, '\r\n')
    const { migrations, diagnostics } = await drizzleFormat.load(
      memoryContext({
        'meta/_journal.json': journal([
          { idx: 0, when: 1, tag: '0000_a' },
          { idx: 1, when: 2, tag: '0001_b' },
        ]),
        '0000_a.sql': crlf,
        '0001_b.sql': `\uFEFF${VECTOR}`,
      }),
    )
    expect(diagnostics).toEqual([])
    // sha256 of the bytes on disk, CRs and BOM included (golden values computed with Node).
    expect(migrations[0]?.record).toMatchObject({
      hash: 'b11a6aee9968a46e899daebf88a4243af537fbc75b2e50c54ad1c7d9e6cf9d94',
    })
    expect(migrations[1]?.record).toMatchObject({
      hash: '2aacc60ce2968910584025a381b2eb90a4c98331199c4c45e3655378eb8875b2',
    })
    expect(migrations[1]?.up.statements[0]?.sql.startsWith('\uFEFFCREATE TABLE')).toBe(true)
  })
})

describe('drizzle journal problems', () => {
  it('should report a .sql file the journal does not list, which drizzle never applies (incident 5)', async () => {
    const { context, result } = await loadDrizzleFixture('journal-unlisted')
    expect(result.migrations.map((m) => m.version)).toEqual(['0000_init', '0001_add_status'])
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'JOURNAL_UNLISTED_FILE',
        message:
          '0002_archive_status.sql is not listed in meta/_journal.json, so drizzle never applies it',
        file: path.join(context.dir, '0002_archive_status.sql'),
        related: [{ file: path.join(context.dir, 'meta', '_journal.json') }],
        fix:
          'if it is a migration, run `drizzle-kit generate --custom --name=archive_status`, move this SQL into the ' +
          'generated file (that adds the journal entry) and delete 0002_archive_status.sql; otherwise move it out of the migrations folder',
      },
    ])
  })

  it('should report journal entries whose file is gone, naming both, and spot a renamed file (incident 5 the other way)', async () => {
    const { context, result } = await loadDrizzleFixture('journal-missing-file')
    const journalFile = path.join(context.dir, 'meta', '_journal.json')
    expect(result.migrations.map((m) => m.version)).toEqual(['0000_init'])
    expect(codes(result.diagnostics)).toEqual([
      'JOURNAL_FILE_MISSING',
      'JOURNAL_FILE_MISSING',
      'JOURNAL_UNLISTED_FILE',
    ])
    const [renamed, missing] = result.diagnostics
    expect(renamed).toMatchObject({
      message:
        'meta/_journal.json: entry "0001_add_users" has no file 0001_add_users.sql (drizzle fails with "No file 0001_add_users.sql found")',
      file: journalFile,
      line: 16,
      related: [{ file: path.join(context.dir, '0001_add_users.sql') }],
      fix: '0001_add_accounts_users.sql looks like this migration renamed: set the entry\'s "tag" to "0001_add_accounts_users", or rename the file back to 0001_add_users.sql',
    })
    expect(missing).toMatchObject({
      line: 23,
      fix: 'restore 0002_add_posts.sql (e.g. from git), or, if no database has applied it yet, remove the entry from meta/_journal.json',
    })
  })

  it('should report entries whose when is not above an earlier one, naming both entries', async () => {
    const { context, result } = await loadDrizzleFixture('journal-when')
    const journalFile = path.join(context.dir, 'meta', '_journal.json')
    // Still loaded: a fresh database gets every entry; existing ones would skip them.
    expect(result.migrations).toHaveLength(4)
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'JOURNAL_WHEN_NOT_INCREASING',
        message:
          'meta/_journal.json: entry "0002_branch_b" has "when" 1700000200000 (2023-11-14T22:16:40.000Z), not later than earlier entry ' +
          '"0001_branch_a" (1700000300000, 2023-11-14T22:18:20.000Z): drizzle skips "0002_branch_b" forever on any database that has "0001_branch_a"',
        file: journalFile,
        line: 22,
        related: [{ file: journalFile, line: 15 }],
        fix: 'set "when" of "0002_branch_b" above 1700000300000 (e.g. 1700000300001), or regenerate the migration with `drizzle-kit generate`',
      },
      expect.objectContaining({
        code: 'JOURNAL_WHEN_NOT_INCREASING',
        line: 29,
        message: expect.stringContaining('entry "0003_same_time" has "when" 1700000300000'),
      }),
    ])
  })

  it('should report a duplicate tag and a duplicate idx, and apply the duplicated file once', async () => {
    const { context, result } = await loadDrizzleFixture('journal-duplicates')
    const journalFile = path.join(context.dir, 'meta', '_journal.json')
    expect(result.migrations.map((m) => m.version)).toEqual([
      '0000_init',
      '0001_add_users',
      '0002_add_posts',
    ])
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'JOURNAL_DUPLICATE_TAG',
        message:
          'meta/_journal.json: tag "0001_add_users" is listed twice (entries 1 and 2); drizzle would run 0001_add_users.sql twice',
        file: journalFile,
        line: 23,
        related: [{ file: journalFile, line: 16 }],
        fix: 'remove the duplicate entry (usually left by a merge)',
      },
      expect.objectContaining({
        code: 'JOURNAL_DUPLICATE_TAG',
        message:
          'meta/_journal.json: idx 2 is used by both "0001_add_users" and "0002_add_posts" (usually two branches that each generated a migration)',
        line: 27,
        related: [{ file: journalFile, line: 23 }],
        fix: 'renumber "idx" to each entry\'s 0-based position (this one is 3) and keep "when" increasing, or regenerate the migration with `drizzle-kit generate`',
      }),
    ])
  })

  it('should report invalid JSON with its line', async () => {
    const { context, result } = await loadDrizzleFixture('journal-invalid-json')
    expect(result.migrations).toEqual([])
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'JOURNAL_INVALID',
        message:
          'meta/_journal.json: is not valid JSON: expected a double-quoted property name, found "}" (line 11)',
        file: path.join(context.dir, 'meta', '_journal.json'),
        line: 11,
        fix: 'fix the JSON at line 11, or regenerate the migration with `drizzle-kit generate`',
      },
    ])
    // The unlisted check needs a readable journal, so nothing else is claimed about 0000_init.sql.
  })

  it('should report merge conflict markers at the first marker line', async () => {
    const { result } = await loadDrizzleFixture('journal-conflict')
    expect(result.diagnostics).toHaveLength(1)
    expect(result.diagnostics[0]).toMatchObject({
      code: 'JOURNAL_INVALID',
      line: 6,
      message: 'meta/_journal.json: has unresolved merge conflict markers',
      fix: expect.stringContaining('keep the entries of both branches in increasing "when" order'),
    })
  })

  it('should report each bad entry field with its line and keep the good entries', async () => {
    const { result } = await loadDrizzleFixture('journal-invalid-fields')
    expect(result.migrations.map((m) => m.version)).toEqual(['0000_init'])
    expect(result.diagnostics.map((d) => [d.code, d.line, d.message])).toEqual([
      [
        'JOURNAL_INVALID',
        6,
        'meta/_journal.json: entry 1 has no "tag" (the file name without .sql)',
      ],
      [
        'JOURNAL_INVALID',
        7,
        'meta/_journal.json: entry "0002_when_string" has "when": "1700000200000"; drizzle needs the generation time in milliseconds since 1970',
      ],
      [
        'JOURNAL_INVALID',
        8,
        'meta/_journal.json: entry "0003_bad_idx" has "idx": -1, not a 0-based position',
      ],
      ['JOURNAL_INVALID', 9, 'meta/_journal.json: entry 4 is not an object'],
      // The files of rejected entries are not listed either, so drizzle would not apply them.
      [
        'JOURNAL_UNLISTED_FILE',
        undefined,
        '0002_when_string.sql is not listed in meta/_journal.json, so drizzle never applies it',
      ],
      [
        'JOURNAL_UNLISTED_FILE',
        undefined,
        '0003_bad_idx.sql is not listed in meta/_journal.json, so drizzle never applies it',
      ],
    ])
  })

  it('should refuse a journal written for another dialect', async () => {
    const { result } = await loadDrizzleFixture('journal-sqlite')
    expect(result.diagnostics).toMatchObject([
      {
        code: 'JOURNAL_INVALID',
        line: 3,
        message: 'meta/_journal.json: dialect is "sqlite", not "postgresql"',
      },
    ])
  })

  it('should report JOURNAL_NOT_FOUND for a drizzle folder whose journal is gone', async () => {
    const context = await folderContext(drizzleFixture('no-journal'))
    expect((await drizzleFormat.detect(context)).score).toBe(3)
    const result = await drizzleFormat.load(context)
    expect(result.migrations).toEqual([])
    expect(result.diagnostics).toHaveLength(1)
    expect(result.diagnostics[0]).toMatchObject({
      severity: 'error',
      code: 'JOURNAL_NOT_FOUND',
      fix: 'restore meta/_journal.json from git, or run `drizzle-kit generate` with `out` set to this folder; if another tool wrote these files, set `format` to it',
    })
    expect(result.diagnostics[0]?.message).toMatch(
      /no-journal has no meta\/_journal\.json \(meta\/ holds drizzle-kit snapshots, but the journal is gone\) and no <YYYYMMDDhhmmss>_<name>\/migration\.sql folders, so drizzle finds no migrations$/,
    )
  })

  it('should print journal problems with file, line and fix', async () => {
    const { context, result } = await loadDrizzleFixture('journal-when')
    expect(
      formatDiagnostics(result.diagnostics, { cwd: context.dir }).split('\n').slice(0, 3),
    ).toEqual([
      expect.stringMatching(
        /^meta\/_journal\.json:22 {2}error JOURNAL_WHEN_NOT_INCREASING meta\/_journal\.json: entry "0002_branch_b"/,
      ),
      '    see: meta/_journal.json:15',
      '    fix: set "when" of "0002_branch_b" above 1700000300000 (e.g. 1700000300001), or regenerate the migration with `drizzle-kit generate`',
    ])
  })
})
