// The five incidents pgtestbed exists to prevent (see the root README), each run through the
// engine end to end — `startTestbed` against the real PostgreSQL server — and each showing the
// engine catching it before any test could run. Every database a case builds is dropped after it.
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { isPgtestbedError, type PgtestbedError } from '../../src/errors.js'
import type { DiagnosticsError } from '../../src/errors.js'
import { createLintHook } from '../../src/lint/hook.js'
import { MigrationApplyError } from '../../src/migrations/database/apply-errors.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { projectKeyFor } from '../../src/templates/naming.js'
import { startTestbed } from '../../src/testbed/start.js'
import type { TestbedOptions } from '../../src/testbed/types.js'
import {
  dropProjectDatabases,
  gooseProject,
  projectDatabases,
  type GooseProject,
} from '../helpers/goose-project.js'
import { publicTables, TEST_SERVER_URL } from '../helpers/pg.js'

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures')

const projects: string[] = []
const tempProjects: GooseProject[] = []
afterEach(async () => {
  for (const project of projects.splice(0)) await dropProjectDatabases(project)
  for (const p of tempProjects.splice(0)) await p.cleanup()
})
afterAll(() => closeAdminPools())

/** Options for a fixture folder on the test server; its databases are dropped after the test. */
function on(migrationsDir: string, extra: TestbedOptions = {}): TestbedOptions {
  projects.push(projectKeyFor(migrationsDir))
  return {
    server: 'url',
    url: TEST_SERVER_URL,
    migrations: migrationsDir,
    env: {},
    sweep: false,
    ...extra,
  }
}

/** Runs `startTestbed` expecting it to throw; returns the error. */
async function failure(options: TestbedOptions): Promise<PgtestbedError> {
  let testbed: Awaited<ReturnType<typeof startTestbed>> | undefined
  try {
    testbed = await startTestbed(options)
  } catch (error) {
    expect(isPgtestbedError(error)).toBe(true)
    return error as PgtestbedError
  } finally {
    await testbed?.close()
  }
  throw new Error('startTestbed should have failed')
}

describe('the incidents pgtestbed exists to prevent, caught end to end on a real server', () => {
  test('1: should apply only the Up section, so the table the Down section drops is in every clone', async () => {
    const dir = path.join(FIXTURES, 'apply/goose-incident-1')
    const testbed = await startTestbed(on(dir))
    try {
      await using db = await testbed.clone({ label: 'incident-1.test.ts' })
      // The Down section drops `users` and creates `down_section_ran`: neither may have happened.
      expect(await publicTables(db.url)).toEqual(['goose_db_version', 'users'])
    } finally {
      await testbed.close()
    }
  })

  test('2: should fail before building when a new file is not in the declared manifest, naming it and the fix', async () => {
    const dir = path.join(FIXTURES, 'manifest/incident-2')
    const error = (await failure(on(dir))) as DiagnosticsError
    expect(error.code).toBe('MANIFEST_MISMATCH')
    const unlisted = error.diagnostics.filter((d) => d.code === 'MANIFEST_UNLISTED')
    expect(unlisted.map((d) => path.basename(d.file ?? ''))).toEqual([
      '021_add_status_reason_column.sql',
    ])
    expect(unlisted[0]!.fix).toContain('pgtestbed manifest --write')
    expect(error.message).toContain('021_add_status_reason_column.sql')

    // The explicit-list form (what a hard-coded list in a test suite looks like) fails the same way.
    const names = (await readdir(dir)).filter((f) => f.endsWith('.sql') && !f.startsWith('021_'))
    const listError = (await failure(on(dir, { manifest: names.sort() }))) as DiagnosticsError
    expect(listError.code).toBe('MANIFEST_MISMATCH')
    expect(listError.message).toContain('021_add_status_reason_column.sql')

    // Nothing was built for a folder that failed its checks.
    expect(await projectDatabases(projectKeyFor(dir))).toEqual([])
  })

  test('3: should fail before building when two migrations are numbered 021, naming both files', async () => {
    const dir = path.join(FIXTURES, 'migrations/goose-duplicate-version')
    const error = (await failure(on(dir, { manifest: false }))) as DiagnosticsError
    expect(error.code).toBe('VALIDATION_FAILED')
    const duplicate = error.diagnostics.find((d) => d.code === 'DUPLICATE_VERSION')
    expect(duplicate?.severity).toBe('error')
    const named = [duplicate?.file, ...(duplicate?.related ?? []).map((r) => r.file)].map((f) =>
      path.basename(f ?? ''),
    )
    expect(named.sort()).toEqual([
      '021_add_status_reason_column.sql',
      '021_create_notification_audit_table.sql',
    ])
    expect(await projectDatabases(projectKeyFor(dir))).toEqual([])
  })

  test('4: should stop at the first failing statement with file, lines and the PostgreSQL error, and leave no template', async () => {
    const dir = path.join(FIXTURES, 'apply/goose-incident-4')
    const error = await failure(on(dir))
    const apply = (
      error instanceof MigrationApplyError ? error : (error.cause as MigrationApplyError)
    ) as MigrationApplyError
    expect(apply).toBeInstanceOf(MigrationApplyError)
    expect(apply.code).toBe('APPLY_FAILED')
    expect(path.basename(apply.file)).toBe('00003_add_items.sql')
    // Statement 4 (the INSERT at line 19) fires a trigger that raises with a detail and a hint.
    expect(apply.statementNumber).toBe(4)
    expect(apply.statementLine).toBe(19)
    expect(apply.statement).toMatch(/^INSERT INTO items/)
    expect(apply.postgres).toMatchObject({
      code: 'P0001',
      message: 'empty item name',
      detail: 'item 2 has an empty name',
      hint: 'fill in staging.name first',
    })
    expect(apply.applied.map((m) => m.version)).toEqual(['1', '2'])
    expect(error.message).toContain('00003_add_items.sql')
    // No template and no half-built database survives for a later run to trust.
    expect(await projectDatabases(projectKeyFor(dir))).toEqual([])
  })

  test('5: should fail when a drizzle journal and its SQL files disagree (a file drizzle would never apply)', async () => {
    const dir = path.join(FIXTURES, 'drizzle/journal-unlisted')
    const error = (await failure(on(dir))) as DiagnosticsError
    expect(error.code).toBe('VALIDATION_FAILED')
    const unlisted = error.diagnostics.find((d) => d.code === 'JOURNAL_UNLISTED_FILE')
    expect(path.basename(unlisted?.file ?? '')).toBe('0002_archive_status.sql')
    expect(unlisted?.fix).toBeTruthy()
    expect(await projectDatabases(projectKeyFor(dir))).toEqual([])
  })

  test('5: should refuse an unsafe enum change (recreate without a cast through text) before building', async () => {
    const p = await gooseProject({
      migrations: 0,
      files: {
        '00001_people.sql':
          "-- +goose Up\nCREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');\nCREATE TABLE people (mood mood);\n-- +goose Down\nDROP TABLE people;\nDROP TYPE mood;\n",
        '00002_drop_meh.sql':
          "-- +goose Up\nALTER TYPE mood RENAME TO mood_old;\nCREATE TYPE mood AS ENUM ('happy', 'sad');\nALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::mood;\nDROP TYPE mood_old;\n-- +goose Down\nSELECT 1;\n",
      },
    })
    tempProjects.push(p)
    const error = (await failure(
      on(p.migrationsDir, { cwd: p.cwd, lint: createLintHook(true) }),
    )) as DiagnosticsError
    expect(error.code).toBe('LINT_FAILED')
    const cast = error.diagnostics.find((d) => d.code === 'LINT_ENUM_CAST_WITHOUT_TEXT')
    expect(path.basename(cast?.file ?? '')).toBe('00002_drop_meh.sql')
    expect(cast?.line).toBe(4)
    expect(cast?.fix).toContain('USING mood::text::mood')
    expect(await projectDatabases(p.project)).toEqual([])
  })
})
