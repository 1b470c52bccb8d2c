import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { drizzleFormat } from '../../src/migrations/files/formats/drizzle.js'
import { v1FolderMillis } from '../../src/migrations/files/formats/drizzle-folders.js'
import { drizzleFixture, folderContext, loadDrizzleFixture } from '../helpers/drizzle-context.js'

describe('drizzle v1 folder layout', () => {
  it('should detect v1 folders with certainty', async () => {
    const detection = await drizzleFormat.detect(await folderContext(drizzleFixture('v1-basic')))
    expect(detection.score).toBe(3)
    expect(detection.evidence).toEqual([
      '20250101120000_init/snapshot.json',
      '20250102090000_add_posts/snapshot.json',
    ])
  })

  it('should load folders in name order with the folder timestamp and name as the record', async () => {
    const { context, result } = await loadDrizzleFixture('v1-basic')
    expect(result.diagnostics).toEqual([])
    expect(result.layout).toBe('folders')
    const init = path.join(context.dir, '20250101120000_init', 'migration.sql')
    const posts = path.join(context.dir, '20250102090000_add_posts', 'migration.sql')
    expect(result.files).toEqual([init, posts])
    expect(result.migrations.map((m) => [m.index, m.version, m.description, m.files])).toEqual([
      [0, '20250101120000_init', 'init', [init]],
      [1, '20250102090000_add_posts', 'add_posts', [posts]],
    ])
    expect(result.migrations[1]?.record).toEqual({
      format: 'drizzle',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      createdAt: Date.UTC(2025, 0, 2, 9, 0, 0),
      name: '20250102090000_add_posts',
    })
    expect(result.migrations[1]?.up.statements.map((s) => s.line)).toEqual([1, 3])
    expect(result.migrations[1]?.up.transaction).toBe(true)
    expect(result.migrations[1]?.down).toBeNull()
  })

  it('should read the 14-digit prefix as UTC and reject impossible dates', () => {
    expect(v1FolderMillis('20250102030405_x')).toBe(Date.UTC(2025, 0, 2, 3, 4, 5))
    expect(v1FolderMillis('20251301120000_x')).toBeUndefined()
    expect(v1FolderMillis('20250230120000_x')).toBeUndefined()
    expect(v1FolderMillis('20250102030405')).toBeUndefined()
    expect(v1FolderMillis('2025-01-02_x')).toBeUndefined()
  })

  it('should report every folder and file drizzle would skip or mis-read', async () => {
    const { context, result } = await loadDrizzleFixture('v1-problems')
    const at = (...parts: string[]) => path.join(context.dir, ...parts)
    expect(result.migrations.map((m) => m.version)).toEqual([
      '20250101120000_init',
      '20250101120000_same_second',
    ])
    const byFile = Object.fromEntries(
      result.diagnostics.map((d) => [path.relative(context.dir, d.file ?? ''), d]),
    )
    expect(result.diagnostics).toHaveLength(8)
    expect(byFile[path.join('2025-01-02_dashes', 'migration.sql')]).toMatchObject({
      severity: 'error',
      code: 'BAD_FILENAME',
      message:
        'folder 2025-01-02_dashes is not named <YYYYMMDDhhmmss>_<name> with a real UTC date, so drizzle cannot read its timestamp',
      fix: expect.stringMatching(
        /^rename the folder to <UTC timestamp>_<name>, e\.g\. \d{14}_dashes, as `drizzle-kit generate` names them$/,
      ),
    })
    expect(byFile[path.join('20251301120000_bad_month', 'migration.sql')]).toMatchObject({
      code: 'BAD_FILENAME',
    })
    expect(byFile['20250103120000_no_sql']).toMatchObject({
      severity: 'error',
      code: 'UP_FILE_MISSING',
      message: 'folder 20250103120000_no_sql has no migration.sql, so drizzle silently skips it',
      fix: 'add 20250103120000_no_sql/migration.sql (e.g. restore it from git), or delete the folder',
    })
    expect(byFile['20250104120000_typo']).toMatchObject({
      code: 'UP_FILE_MISSING',
      fix: 'rename 20250104120000_typo/up.sql to 20250104120000_typo/migration.sql',
    })
    expect(byFile.docs).toMatchObject({
      severity: 'warning',
      code: 'STRAY_FILE',
      message: 'folder docs is not a migration folder (no migration.sql); drizzle ignores it',
    })
    expect(byFile[path.join('20250101120000_init', 'notes.sql')]).toMatchObject({
      severity: 'error',
      code: 'STRAY_FILE',
      message:
        '20250101120000_init/notes.sql is never applied: drizzle runs only 20250101120000_init/migration.sql in that folder',
    })
    expect(byFile['0005_stray.sql']).toMatchObject({
      severity: 'error',
      code: 'STRAY_FILE',
      message: '0005_stray.sql is never applied: drizzle v1 runs only <folder>/migration.sql',
    })
    expect(byFile[path.join('20250101120000_same_second', 'migration.sql')]).toMatchObject({
      severity: 'warning',
      code: 'DUPLICATE_VERSION',
      related: [{ file: at('20250101120000_init', 'migration.sql') }],
      fix: 'rename 20250101120000_same_second with a later timestamp (e.g. 20250101120001_same_second)',
    })
  })

  it('should report a journal next to v1 folders and load the journal, as drizzle 0.x would', async () => {
    const { context, result } = await loadDrizzleFixture('mixed')
    expect(result.layout).toBe('journal')
    expect(result.migrations.map((m) => m.version)).toEqual(['0000_init'])
    expect(result.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'JOURNAL_MIXED_LAYOUT',
        message:
          'meta/_journal.json (drizzle-kit 0.x layout) sits next to v1 migration folders (20250101120000_new); ' +
          'drizzle 0.x never applies the folders and drizzle v1 refuses the journal',
        file: path.join(context.dir, 'meta', '_journal.json'),
        related: [{ file: path.join(context.dir, '20250101120000_new', 'migration.sql') }],
        fix: 'with drizzle-kit 1.x, run `drizzle-kit up` to convert the whole folder to the v1 layout; with drizzle-kit 0.x, move the v1 folders out',
      },
    ])
  })
})
