import { displayPath } from '../diagnostics.js'
import { isPgtestbedError, PgtestbedError } from '../errors.js'
import { applyMigrations } from '../migrations/database/apply.js'
import { rollbackMigrations } from '../migrations/database/rollback.js'
import type { Migration, MigrationSet } from '../migrations/types.js'
import type { ProgressStep } from '../progress.js'
import { compareSchemas } from '../diff/compare.js'
import { inspectSchema } from '../diff/inspect.js'
import { formatDiffText } from '../diff/report.js'
import { inspectOptionsFor } from '../diff/ignore.js'
import type { SchemaDiff, SchemaInspection } from '../diff/types.js'
import { connectClient } from './admin.js'
import { createScratchDatabase } from './scratch.js'

/** Details of a `VERIFY_DOWN_FAILED` error. */
export interface VerifyDownFailure {
  /** The migration whose Down failed or left the schema different; undefined for the final re-Up. */
  migration: Migration | undefined
  /** `'down'`: rolling it back; `'reapply'`: applying everything again after rolling back. */
  phase: 'down' | 'reapply'
  /**
   * How the schema after the Down differs from the schema before the Up (`expected`: before,
   * `actual`: after); no groups when the Down section itself failed.
   */
  diff: SchemaDiff
}

/**
 * Thrown by `verifyDown`: a Down section failed, or did not bring the schema back to what it was
 * before its Up, or re-applying after rolling everything back gave a different schema.
 *
 * @example
 * catch (error) { if (error instanceof VerifyDownError) console.error(error.failure.diff.groups) }
 */
export class VerifyDownError extends PgtestbedError {
  readonly failure: VerifyDownFailure
  constructor(
    message: string,
    failure: VerifyDownFailure,
    options: { cause?: unknown; fix?: string } = {},
  ) {
    super('VERIFY_DOWN_FAILED', message, options)
    this.failure = failure
  }
}

/** The differences, indented, with the two sides named for a Down check. */
function describeDiff(diff: SchemaDiff, phase: 'down' | 'reapply'): string {
  const labels =
    phase === 'down'
      ? { expected: 'schema before its Up', actual: 'schema after its Down' }
      : { expected: 'schema of the first apply', actual: 'schema after applying again' }
  return formatDiffText(diff, { labels, indent: '  ' })
}

function where(set: MigrationSet, migration: Migration): string {
  const file = migration.down?.file ?? migration.up.file
  const line = migration.down ? `:${migration.down.line}` : ''
  return `${displayPath(file, set.dir)}${line}`
}

/**
 * Checks every Down section on a scratch database: applies the migrations one by one and
 * snapshots the schema after each, rolls them back one by one comparing each state with the
 * snapshot taken before that migration's Up, then applies everything again and compares with the
 * final snapshot. The scratch database is dropped whatever happens.
 *
 * @example
 * await verifyDown({ adminUrl, set, baseTemplate: 'template0', project })
 * @throws VerifyDownError (`VERIFY_DOWN_FAILED`) naming the first migration whose Down fails or
 *   leaves objects behind, and the objects.
 * @throws PgtestbedError `INVALID_OPTIONS` for drizzle and Prisma (they have no Down sections).
 */
export async function verifyDown(options: {
  adminUrl: string
  set: MigrationSet
  project: string
  baseTemplate: string
  step?: ProgressStep
}): Promise<void> {
  const { set, adminUrl } = options
  if (set.format === 'drizzle' || set.format === 'prisma') {
    const tool = set.format === 'drizzle' ? 'drizzle-kit migrations have' : 'Prisma Migrate has'
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `verifyDown needs Down sections, and ${tool} none`,
      { fix: `Remove the verifyDown option for this ${set.format} project.` },
    )
  }
  const scratch = await createScratchDatabase(adminUrl, {
    project: options.project,
    label: 'verifyDown',
    baseTemplate: options.baseTemplate,
  })
  try {
    const client = await connectClient(scratch.url, 'verify-down')
    try {
      await runChecks(client, set, options.step)
    } finally {
      await client.end().catch(() => {})
    }
  } finally {
    // A failed drop must not hide the verifyDown result; the sweeper removes a leftover.
    await scratch.drop().catch(() => {})
  }
}

async function runChecks(
  client: Awaited<ReturnType<typeof connectClient>>,
  set: MigrationSet,
  step: ProgressStep | undefined,
): Promise<void> {
  const n = set.migrations.length
  const inspect = inspectOptionsFor(set, undefined)
  const snapshot = () => inspectSchema(client, inspect)
  const snapshots: SchemaInspection[] = [await snapshot()]
  for (const [i, migration] of set.migrations.entries()) {
    step?.update(`verifyDown: applying ${i + 1}/${n}`)
    await applyMigrations(client, set, { to: migration.version })
    snapshots.push(await snapshot())
  }
  for (let i = n - 1; i >= 0; i--) {
    const migration = set.migrations[i]!
    step?.update(`verifyDown: rolling back ${n - i}/${n}`)
    try {
      await rollbackMigrations(client, set, { steps: 1 })
    } catch (error) {
      const why = isPgtestbedError(error) ? error.message : String(error)
      throw new VerifyDownError(
        `verifyDown: the Down section of migration ${migration.version} (${where(set, migration)}) failed:\n${why}`,
        { migration, phase: 'down', diff: { same: true, groups: [] } },
        {
          cause: error,
          fix: 'Fix the Down section so it undoes exactly what the Up section does.',
        },
      )
    }
    const diff = compareSchemas(snapshots[i]!, await snapshot())
    if (!diff.same) {
      const noDown = migration.down === null || migration.down.statements.length === 0
      throw new VerifyDownError(
        `verifyDown: rolling back migration ${migration.version} (${where(set, migration)}) did not restore the schema it started from${noDown ? ' (it has no Down statements)' : ''}:\n${describeDiff(diff, 'down')}`,
        { migration, phase: 'down', diff },
        {
          fix: noDown
            ? 'Add a Down section that undoes the Up section.'
            : 'Make the Down section undo exactly what the Up section did: drop what it created, restore what it changed (a dropped column comes back at the end of the table unless the Down recreates the table).',
        },
      )
    }
  }
  step?.update('verifyDown: applying everything again')
  await applyMigrations(client, set)
  const diff = compareSchemas(snapshots[n]!, await snapshot())
  if (!diff.same) {
    throw new VerifyDownError(
      `verifyDown: applying every migration again after rolling them all back gave a different schema:\n${describeDiff(diff, 'reapply')}`,
      { migration: undefined, phase: 'reapply', diff },
      {
        fix: 'A Down section leaves something the next Up reacts to (IF NOT EXISTS, data); make each Down undo its Up exactly.',
      },
    )
  }
}
