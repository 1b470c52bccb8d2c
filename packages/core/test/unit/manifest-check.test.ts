import { readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkManifest, writeManifest } from '../../src/migrations/files/manifest.js'
import { formatDiagnostics } from '../../src/diagnostics.js'
import type { Diagnostic } from '../../src/diagnostics.js'
import { drizzleFixture } from '../helpers/drizzle-context.js'
import { buildSet, manifestFixture, tempFolder } from '../helpers/manifest-set.js'
import type { TempFolder } from '../helpers/manifest-set.js'

const temps: TempFolder[] = []
const temp = async (from: string) => {
  const folder = await tempFolder({ from })
  temps.push(folder)
  return folder
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((t) => t.cleanup()))
})
const codes = (diagnostics: readonly Diagnostic[]) => diagnostics.map((d) => d.code)
const WRITE = '`pgtestbed manifest --write`'
const INCIDENT_LIST = [
  '001_create_orders.sql',
  '002_add_order_status.sql',
  '003_create_customers.sql',
  '004_add_customer_email.sql',
  '005_create_invoices.sql',
  '006_add_invoice_total.sql',
  '007_create_payments.sql',
  '008_add_payment_method.sql',
  '009_create_refunds.sql',
  '010_add_refund_reason.sql',
  '011_create_shipments.sql',
  '012_add_tracking_number.sql',
  '013_create_notifications.sql',
  '014_add_notification_channel.sql',
  '015_create_audit_log.sql',
  '016_add_audit_actor.sql',
  '017_create_tags.sql',
  '018_add_tag_color.sql',
  '019_create_settings.sql',
  '020_add_settings_scope.sql',
]

describe('incident 2: a new migration missing from the declared manifest', () => {
  it('should fail with MANIFEST_UNLISTED naming 021_add_status_reason_column.sql (pgtestbed.sum)', async () => {
    const set = await buildSet(manifestFixture('incident-2'), 'goose')
    expect(set.migrations).toHaveLength(21)
    const diagnostics = await checkManifest(set)
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_UNLISTED',
        message:
          '021_add_status_reason_column.sql is not in pgtestbed.sum (it is new since the manifest was written)',
        file: path.join(set.dir, '021_add_status_reason_column.sql'),
        related: [{ file: path.join(set.dir, 'pgtestbed.sum') }],
        fix: `review it, then run ${WRITE} to add it to pgtestbed.sum`,
      },
    ])
  })

  it('should fail with MANIFEST_UNLISTED naming the exact string to add (explicit list)', async () => {
    const set = await buildSet(manifestFixture('incident-2'), 'goose')
    expect(await checkManifest(set, INCIDENT_LIST)).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_UNLISTED',
        message: '021_add_status_reason_column.sql is not in the migrations list',
        file: path.join(set.dir, '021_add_status_reason_column.sql'),
        fix: "add '021_add_status_reason_column.sql' to the migrations list after '020_add_settings_scope.sql'",
      },
    ])
  })

  it('should pass once the list names every file, in order, however the paths are written', async () => {
    const set = await buildSet(manifestFixture('incident-2'), 'goose')
    const list = [...INCIDENT_LIST, '021_add_status_reason_column.sql'].map((name, i) =>
      i === 0 ? `./${name}` : i === 1 ? path.join(set.dir, name) : name,
    )
    expect(await checkManifest(set, list)).toEqual([])
  })
})

describe('checkManifest against pgtestbed.sum', () => {
  async function written(from: string, format: Parameters<typeof buildSet>[1] = 'goose') {
    const folder = await temp(from)
    await writeManifest(await buildSet(folder.dir, format))
    return folder
  }

  it('should pass for an unchanged folder', async () => {
    const folder = await written(manifestFixture('goose-basic'))
    expect(await checkManifest(await buildSet(folder.dir, 'goose'))).toEqual([])
  })

  it('should attribute an edit to exactly the edited file, not to every later line', async () => {
    const folder = await written(manifestFixture('incident-2'))
    await folder.write('005_create_invoices.sql', '-- +goose Up\nSELECT 500;\n')
    const set = await buildSet(folder.dir, 'goose')
    expect(await checkManifest(set)).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_EDITED',
        message: '005_create_invoices.sql changed since pgtestbed.sum was written (its content)',
        file: path.join(folder.dir, '005_create_invoices.sql'),
        related: [{ file: path.join(folder.dir, 'pgtestbed.sum'), line: 6 }],
        fix:
          `if this migration is new and no shared database has applied it yet, record the change with ${WRITE}; ` +
          'if it was already merged or deployed, restore it (e.g. `git checkout -- 005_create_invoices.sql`) and put the change in a new migration',
      },
    ])
  })

  it('should not count a CRLF checkout as an edit', async () => {
    const folder = await written(manifestFixture('goose-basic'))
    const file = path.join(folder.dir, '002_add_email.sql')
    await folder.write('002_add_email.sql', (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'))
    expect(await checkManifest(await buildSet(folder.dir, 'goose'))).toEqual([])
  })

  it('should report a listed file that is gone, at its manifest line', async () => {
    const folder = await written(manifestFixture('incident-2'))
    await folder.remove('020_add_settings_scope.sql')
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'goose'))
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_MISSING_FILE',
        message:
          '020_add_settings_scope.sql is listed in pgtestbed.sum but is gone from the migrations folder',
        file: path.join(folder.dir, 'pgtestbed.sum'),
        line: 21,
        related: [{ file: path.join(folder.dir, '020_add_settings_scope.sql') }],
        fix: `restore it (e.g. \`git checkout -- 020_add_settings_scope.sql\`); if removing or renaming it is intended and no database has applied it, run ${WRITE}`,
      },
    ])
  })

  it('should recognise a rename as a missing file and an unlisted one in the same place', async () => {
    const folder = await written(manifestFixture('goose-basic'))
    await rename(
      path.join(folder.dir, '002_add_email.sql'),
      path.join(folder.dir, '002_add_email_column.sql'),
    )
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'goose'))
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        'MANIFEST_MISSING_FILE',
        '002_add_email.sql is listed in pgtestbed.sum but is gone from the migrations folder (renamed to 002_add_email_column.sql?)',
      ],
      [
        'MANIFEST_UNLISTED',
        '002_add_email_column.sql is not in pgtestbed.sum (a rename of 002_add_email.sql?)',
      ],
    ])
  })

  it('should report a new file inserted before listed ones as reordered, with the rename that fixes it', async () => {
    const folder = await tempFolder({
      files: {
        '010_a.sql': 'SELECT 10;\n',
        '020_b.sql': 'SELECT 20;\n',
        '030_c.sql': 'SELECT 30;\n',
      },
    })
    temps.push(folder)
    await writeManifest(await buildSet(folder.dir, 'goose'))
    await folder.write('015_new.sql', 'SELECT 15;\n')
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'goose'))
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_REORDERED',
        message:
          '015_new.sql is new and sorts before 020_b.sql, which pgtestbed.sum already lists: ' +
          'goose refuses to migrate a database that already has 020_b.sql ("missing migrations") unless run with -allow-missing',
        file: path.join(folder.dir, '015_new.sql'),
        related: [
          { file: path.join(folder.dir, '020_b.sql') },
          { file: path.join(folder.dir, 'pgtestbed.sum'), line: 3 },
        ],
        fix:
          `rename 015_new.sql to 031_new.sql so it sorts after every listed migration, then run ${WRITE}; ` +
          `or, if no database has applied 020_b.sql yet, run ${WRITE} to accept the new order`,
      },
    ])
  })

  it('should report a journal whose entries were reordered, naming the moved migration', async () => {
    const folder = await written(drizzleFixture('journal-basic'), 'drizzle')
    const journalFile = path.join(folder.dir, 'meta', '_journal.json')
    const journal = JSON.parse(await readFile(journalFile, 'utf8')) as {
      entries: { when: number }[]
    }
    const [a, b, c] = journal.entries
    journal.entries = [a!, c!, b!]
    // Keep "when" increasing so only the order differs.
    journal.entries[1]!.when = 1700000100000
    journal.entries[2]!.when = 1700000200000
    await folder.write('meta/_journal.json', JSON.stringify(journal, null, 2))
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'drizzle'))
    expect(codes(diagnostics)).toEqual(['MANIFEST_REORDERED', 'MANIFEST_EDITED', 'MANIFEST_EDITED'])
    expect(diagnostics[0]).toMatchObject({
      message:
        '0002_seed_roles.sql moved: it is now applied after 0000_test_vector.sql, but pgtestbed.sum lists it after 0001_add_users.sql',
      file: path.join(folder.dir, '0002_seed_roles.sql'),
      fix: `restore the previous order of the entries in meta/_journal.json; if no database has applied these migrations yet and the new order is intended, run ${WRITE}`,
    })
    // Their "when" values changed too, and the chain covers them.
    expect(diagnostics.slice(1).map((d) => d.message)).toEqual([
      '0001_add_users.sql changed since pgtestbed.sum was written (the file or its journal entry (tag, when))',
      '0002_seed_roles.sql changed since pgtestbed.sum was written (the file or its journal entry (tag, when))',
    ])
  })

  it('should report a changed golang-migrate down file on its up file line', async () => {
    const folder = await written(manifestFixture('golang-migrate'), 'golang-migrate')
    await folder.write('000001_create_accounts.down.sql', 'DROP TABLE accounts CASCADE;\n')
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'golang-migrate'))
    expect(diagnostics).toMatchObject([
      {
        code: 'MANIFEST_EDITED',
        message:
          '000001_create_accounts.up.sql changed since pgtestbed.sum was written (one of its files (000001_create_accounts.up.sql, 000001_create_accounts.down.sql))',
      },
    ])
  })

  it('should report a hand-edited checksum as tampering', async () => {
    const folder = await written(manifestFixture('goose-basic'))
    const file = path.join(folder.dir, 'pgtestbed.sum')
    const lines = (await readFile(file, 'utf8')).split('\n')
    lines[3] = `003_index_email.sql h1:${Buffer.alloc(32, 7).toString('base64')}`
    await folder.write('pgtestbed.sum', lines.join('\n'))
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'goose'))
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['MANIFEST_TAMPERED', 1],
      ['MANIFEST_EDITED', undefined],
    ])
  })

  it('should report MANIFEST_NOT_FOUND when the declared file does not exist', async () => {
    const set = await buildSet(manifestFixture('goose-basic'), 'goose')
    expect(await checkManifest(set, 'missing.sum', { cwd: set.dir })).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_NOT_FOUND',
        message: 'the manifest missing.sum does not exist',
        file: path.join(set.dir, 'missing.sum'),
        fix: `review the migrations, then run ${WRITE} to create it`,
      },
    ])
  })

  it('should report every difference at once, each with its fix', async () => {
    const folder = await written(manifestFixture('incident-2'))
    await folder.write('003_create_customers.sql', '-- +goose Up\nSELECT 33;\n')
    await folder.remove('010_add_refund_reason.sql')
    await folder.write('022_add_status_index.sql', '-- +goose Up\nSELECT 22;\n')
    await folder.write('023_add_status_check.sql', '-- +goose Up\nSELECT 23;\n')
    const diagnostics = await checkManifest(await buildSet(folder.dir, 'goose'))
    expect(codes(diagnostics).sort()).toEqual([
      'MANIFEST_EDITED',
      'MANIFEST_MISSING_FILE',
      'MANIFEST_UNLISTED',
      'MANIFEST_UNLISTED',
    ])
    expect(diagnostics.every((d) => d.severity === 'error' && d.fix !== undefined)).toBe(true)
    const printed = formatDiagnostics(diagnostics, { cwd: folder.dir })
    expect(printed).toContain(
      '003_create_customers.sql  error MANIFEST_EDITED 003_create_customers.sql changed',
    )
    expect(printed).toContain(
      'pgtestbed.sum:11  error MANIFEST_MISSING_FILE 010_add_refund_reason.sql is listed',
    )
  })
})

describe('checkManifest against an explicit list', () => {
  it('should report order differences with where to move the name', async () => {
    const set = await buildSet(manifestFixture('goose-basic'), 'goose')
    const diagnostics = await checkManifest(set, [
      '002_add_email.sql',
      '001_create_users.sql',
      '003_index_email.sql',
    ])
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_REORDERED',
        message:
          '001_create_users.sql moved: it is now applied first, but the migrations list lists it after 002_add_email.sql',
        file: path.join(set.dir, '001_create_users.sql'),
        fix: "move '001_create_users.sql' in the migrations list to the start",
      },
    ])
  })

  it('should report names that match no file and names listed twice', async () => {
    const set = await buildSet(manifestFixture('goose-basic'), 'goose')
    const diagnostics = await checkManifest(set, [
      '001_create_users.sql',
      '001_create_users.sql',
      '002_add_email.sql',
      '002_add_emails.sql',
      '003_index_email.sql',
    ])
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'MANIFEST_INVALID',
        message: "the migrations list names '001_create_users.sql' twice",
        fix: "remove the second '001_create_users.sql'",
      },
      {
        severity: 'error',
        code: 'MANIFEST_MISSING_FILE',
        message:
          "'002_add_emails.sql' is listed in the migrations list but is gone from the migrations folder",
        related: [{ file: path.join(set.dir, '002_add_emails.sql') }],
        fix: "restore 002_add_emails.sql, or remove '002_add_emails.sql' from the migrations list",
      },
    ])
  })

  it('should suggest the v1 folder rename for a drizzle migration inserted before listed ones', async () => {
    const set = await buildSet(drizzleFixture('v1-basic'), 'drizzle')
    const diagnostics = await checkManifest(set, ['20250102090000_add_posts/migration.sql'])
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: 'MANIFEST_REORDERED',
        message:
          '20250101120000_init/migration.sql is new and sorts before 20250102090000_add_posts/migration.sql, which the migrations list already lists: ' +
          'drizzle applies 20250101120000_init/migration.sql out of order on a database that already has 20250102090000_add_posts/migration.sql',
        fix:
          "rename the folder 20250101120000_init to 20250102090001_init so it sorts after every listed migration and add '20250102090001_init/migration.sql' at the end of the list; " +
          "or, if no database has applied 20250102090000_add_posts/migration.sql yet, add '20250101120000_init/migration.sql' to the list before '20250102090000_add_posts/migration.sql'",
      }),
    ])
  })
})
