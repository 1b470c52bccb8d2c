import { randomUUID } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { withAdminClient } from '../../src/templates/admin.js'
import { listDatabases } from '../../src/templates/ownership.js'
import type { VerifyDownError } from '../../src/templates/verify-down.js'
import { startTestbed } from '../../src/testbed/start.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { projectDatabases, useGooseProjects, type GooseProject } from '../helpers/goose-project.js'

const project = useGooseProjects()

async function scratchDatabases(project: string): Promise<string[]> {
  return withAdminClient(TEST_SERVER_URL, async (c) =>
    (await listDatabases(c, 'pgtestbed_s_'))
      .filter((e) => e.record?.project === project)
      .map((e) => e.name),
  )
}

function start(p: GooseProject, verifyDown = true) {
  return startTestbed({
    server: 'url',
    url: TEST_SERVER_URL,
    cwd: p.cwd,
    env: {},
    verifyDown,
    sweep: false,
  })
}

async function failure(p: GooseProject): Promise<VerifyDownError> {
  const error = (await start(p).catch((e: unknown) => e)) as VerifyDownError
  expect(isPgtestbedError(error) && error.code).toBe('VERIFY_DOWN_FAILED')
  return error
}

// 61 characters (PostgreSQL keeps 63 bytes): `public.<table>.<constraint>` is far longer.
const LONG = 'customer_subscription_billing_period_adjustments_with_history'

/** The first migration of a project of long names; a marker makes each test's fingerprint its own. */
const longTable = () => `-- ${randomUUID()}
-- +goose Up
CREATE TABLE ${LONG} (
  id bigint PRIMARY KEY,
  amount_cents integer NOT NULL,
  starts_on date NOT NULL,
  ends_on date NOT NULL,
  note text
);
ALTER TABLE ${LONG} ADD CONSTRAINT ck_amount_positive CHECK (amount_cents > 0);
ALTER TABLE ${LONG} ADD CONSTRAINT ck_period_valid CHECK (ends_on >= starts_on);
COMMENT ON COLUMN ${LONG}.note IS 'free text';

-- +goose Down
DROP TABLE ${LONG};
`

describe('verifyDown', () => {
  test('should build the template when every Down section undoes its Up exactly', async () => {
    const p = await project({ migrations: 3 })
    await using testbed = await start(p)
    expect(testbed.template.status).toBe('built')
    expect(await scratchDatabases(p.project)).toEqual([])
  })

  test('should name the migration whose Down leaves a column behind, and build nothing', async () => {
    const p = await project({
      migrations: 2,
      files: {
        '00003_add_extra.sql':
          '-- +goose Up\nALTER TABLE t1 ADD COLUMN extra text;\nCREATE INDEX t1_extra_idx ON t1 (extra);\n\n-- +goose Down\nDROP INDEX t1_extra_idx;\n',
      },
    })
    const error = await failure(p)
    expect(error.message).toBe(
      'verifyDown: rolling back migration 3 (00003_add_extra.sql:5) did not restore the schema it started from:\n' +
        '  table public.t1\n' +
        '    column extra: only in the schema after its Down: text (position 4)',
    )
    expect(error.failure.migration?.version).toBe('3')
    expect(error.failure.diff.groups[0]!.differences).toEqual([
      {
        kind: 'column',
        id: 'public.t1.extra',
        change: 'only-actual',
        expected: null,
        actual: 'text (position 4)',
      },
    ])
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should name the migration whose Down leaves a table behind', async () => {
    const p = await project({
      migrations: 1,
      files: {
        '00002_audit.sql':
          '-- +goose Up\nCREATE TABLE audit (id int, at timestamptz);\nCREATE TABLE audit_archive (id int);\n\n-- +goose Down\nDROP TABLE audit;\n',
      },
    })
    const error = await failure(p)
    expect(error.message).toContain('rolling back migration 2 (00002_audit.sql:5)')
    expect(error.message).toContain('table public.audit_archive\n')
    expect(error.message).toContain(
      'table public.audit_archive: only in the schema after its Down: (id integer)',
    )
    expect(error.failure.diff.groups.map((g) => g.id)).toEqual(['public.audit_archive'])
  })

  test('should report a Down that brings a dropped column back at another position', async () => {
    const p = await project({
      migrations: 1,
      files: {
        '00002_drop_name.sql':
          '-- +goose Up\nALTER TABLE t1 DROP COLUMN name;\n\n-- +goose Down\nALTER TABLE t1 ADD COLUMN name text;\n',
      },
    })
    const error = await failure(p)
    expect(error.message).toContain('rolling back migration 2 (00002_drop_name.sql:4)')
    const differences = error.failure.diff.groups.flatMap((g) => g.differences)
    expect(differences).toContainEqual({
      kind: 'table',
      id: 'public.t1',
      change: 'changed',
      attribute: 'column order',
      expected: 'id, name, created_at',
      actual: 'id, created_at, name',
    })
    // The re-added column lost its NOT NULL too: reported as its own difference.
    expect(differences).toContainEqual(
      expect.objectContaining({
        id: 'public.t1.name',
        attribute: 'not null',
        expected: 'true',
        actual: 'false',
      }),
    )
  })

  test('should keep the constraints of a 61-character table apart and report only what changed', async () => {
    const p = await project({
      migrations: 0,
      files: {
        '00001_long.sql': longTable(),
        '00002_more_checks.sql': `-- +goose Up
ALTER TABLE ${LONG} ADD CONSTRAINT ck_note_not_empty CHECK (note <> '');
COMMENT ON COLUMN ${LONG}.note IS 'free text, never empty';

-- +goose Down
ALTER TABLE ${LONG} DROP CONSTRAINT ck_note_not_empty;
`,
      },
    })
    const error = await failure(p)
    expect(error.failure.migration?.version).toBe('2')
    // Three constraints share the table's name; none is reported.
    expect(error.failure.diff.groups.flatMap((g) => g.differences)).toEqual([
      {
        kind: 'column',
        id: `public.${LONG}.note`,
        change: 'changed',
        attribute: 'comment',
        expected: 'free text',
        actual: 'free text, never empty',
      },
    ])
    expect(error.message).toContain(`  table public.${LONG}\n    column note: comment\n`)
  })

  test('should pass long names with several constraints whose Downs are right', async () => {
    const p = await project({
      migrations: 0,
      files: {
        '00001_long.sql': longTable(),
        '00002_more_checks.sql': `-- +goose Up
ALTER TABLE ${LONG} ADD CONSTRAINT ck_note_not_empty CHECK (note <> '');
ALTER TABLE ${LONG} ADD CONSTRAINT ck_amount_below_max CHECK (amount_cents < 1000000);

-- +goose Down
ALTER TABLE ${LONG} DROP CONSTRAINT ck_amount_below_max;
ALTER TABLE ${LONG} DROP CONSTRAINT ck_note_not_empty;
`,
      },
    })
    await using testbed = await start(p)
    expect(testbed.template.status).toBe('built')
  })

  test('should report a Down section that fails, with the migration and the PostgreSQL error', async () => {
    const p = await project({
      migrations: 1,
      files: {
        '00002_bad_down.sql':
          '-- +goose Up\nCREATE TABLE x (id int);\n\n-- +goose Down\nDROP TABLE not_there;\n',
      },
    })
    const error = await failure(p)
    expect(error.message).toContain(
      'verifyDown: the Down section of migration 2 (00002_bad_down.sql:4) failed:',
    )
    expect(error.message).toContain('table "not_there" does not exist')
    expect(error.failure.phase).toBe('down')
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should report a migration without a Down section that creates objects', async () => {
    const p = await project({
      migrations: 1,
      files: { '00002_no_down.sql': '-- +goose Up\nCREATE TABLE keeps (id int);\n' },
    })
    const error = await failure(p)
    expect(error.message).toContain(
      'rolling back migration 2 (00002_no_down.sql) did not restore the schema it started from (it has no Down statements)',
    )
    expect(error.message).toContain('table public.keeps')
    expect(error.fix).toBe('Add a Down section that undoes the Up section.')
  })

  test('should check the Down sections when switched on over a template built without it', async () => {
    const p = await project({
      migrations: 1,
      files: {
        '00002_keeps.sql':
          '-- +goose Up\nCREATE TABLE keeps (id int);\n\n-- +goose Down\nSELECT 1;\n',
      },
    })
    const first = await start(p, false)
    const built = first.template
    await first.close()
    expect(built.status).toBe('built')

    const error = await failure(p)
    expect(error.message).toContain('rolling back migration 2 (00002_keeps.sql:4)')
    expect(error.message).toContain('table public.keeps: only in the schema after its Down')

    // Off again: the first template is reused as it was.
    await using again = await start(p, false)
    expect(again.template).toMatchObject({ name: built.name, status: 'reused' })
  })
})
