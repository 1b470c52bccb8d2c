import type pg from 'pg'
import { throwIfErrors } from '../../diagnostics.js'
import { PgtestbedError } from '../../errors.js'
import { runSection } from './apply-run.js'
import { versionFilter } from './apply.js'
import type { CompletedMigration, MigrationEvent } from './apply.js'
import type { Migration, MigrationSet } from '../types.js'
import { loadVersionState, versionTableDriver } from './version-tables/index.js'
import { migrationName } from './version-tables/shared.js'

/** Options of {@link rollbackMigrations}. */
export interface RollbackOptions {
  /**
   * Roll back every applied migration above this version; the migration with this version stays
   * applied (`'0'` rolls back everything in numbered formats). Default: none (see `steps`).
   */
  to?: string
  /**
   * Roll back at most this many migrations. Default: `1` when `to` is not given, unlimited when it is.
   */
  steps?: number
  /** Called before and after each migration. Keep it cheap: it runs inline. Default: none. */
  onMigration?: (event: MigrationEvent) => void
}

/** What {@link rollbackMigrations} did. */
export interface RollbackResult {
  /** The migrations rolled back, in the order they were rolled back (newest first). */
  rolledBack: CompletedMigration[]
  /** The version table, as `schema.table` or `table`. */
  versionTable: string
  /** Milliseconds the whole run took. */
  ms: number
}

/**
 * Rolls back applied migrations by running their Down sections, newest first, and updating the
 * tool's version table as the tool does: goose undoes versions in the order they were applied and
 * deletes their rows (a file without a Down section only loses its row); golang-migrate steps to
 * the previous file's version with its dirty protocol; dbmate undoes the last applied file in
 * name order and deletes its row; node-pg-migrate undoes names in reverse run order and deletes
 * the row by name. drizzle has no Down sections, so it refuses; Prisma has no down migrations at
 * all, so it refuses before reading the database.
 *
 * Used by the CLI's `down` and by the template's `verifyDown` (up → down → up).
 *
 * @throws PgtestbedError `ROLLBACK_UNSUPPORTED` before anything runs when a migration to roll back
 *   has no Down section and its tool needs one (drizzle, dbmate, node-pg-migrate), and always for
 *   Prisma.
 * @throws PgtestbedError `VERSION_TABLE_CONFLICT` when a recorded version has no file, or the
 *   golang-migrate table is dirty.
 * @throws MigrationApplyError (`APPLY_FAILED`, direction `down`) at the first failing statement.
 *
 * @example
 * await rollbackMigrations(client, set)                 // the newest migration
 * await rollbackMigrations(client, set, { to: '0' })    // everything
 * await rollbackMigrations(client, set, { steps: 2 })   // the two newest
 */
export async function rollbackMigrations(
  client: pg.ClientBase,
  set: MigrationSet,
  options: RollbackOptions = {},
): Promise<RollbackResult> {
  const started = performance.now()
  if (options.steps !== undefined && !(Number.isInteger(options.steps) && options.steps > 0)) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `steps must be a positive integer, got ${options.steps}`,
      {
        fix: 'pass steps: 1 (or more), or leave it out to roll back one migration',
      },
    )
  }
  throwIfErrors(
    set.diagnostics,
    'VALIDATION_FAILED',
    `cannot roll back the migrations in ${set.dir}`,
  )
  if (set.format === 'prisma') {
    throw new PgtestbedError(
      'ROLLBACK_UNSUPPORTED',
      `Prisma Migrate has no down migrations, so pgtestbed cannot roll back the migrations in ${set.dir}; nothing was rolled back`,
      {
        fix: 'write a migration that reverts the change (prisma migrate dev), or, to undo a failed one: generate the reverting SQL with `npx prisma migrate diff … --script > down.sql`, run it by hand, then `npx prisma migrate resolve --rolled-back <migration>`',
      },
    )
  }
  const driver = versionTableDriver(set.format)
  const state = await loadVersionState(client, set, { create: false })
  const result: RollbackResult = { rolledBack: [], versionTable: state.location.display, ms: 0 }
  if (state.location.columns === null) return { ...result, ms: performance.now() - started }

  const classification = driver.classify(set, state)
  const atOrBelow = options.to === undefined ? () => false : versionFilter(set, options.to, 'to')
  const limit = options.steps ?? (options.to === undefined ? 1 : Infinity)
  const plan: Migration[] = []
  for (const candidate of driver.rollbackOrder(set, state, classification)) {
    if (plan.length >= limit) break
    if ('noFile' in candidate) {
      if (options.to !== undefined && recordedAtOrBelow(candidate.version, options.to)) break
      throw candidate.error
    }
    if (atOrBelow(candidate)) break
    plan.push(candidate)
  }
  const noDown = plan.filter((m) => m.down === null)
  if (noDown.length > 0 && driver.withoutDown === 'refuse') {
    throw new PgtestbedError(
      'ROLLBACK_UNSUPPORTED',
      `cannot roll back ${noDown.map((m) => migrationName(set, m)).join(', ')}: ${
        set.format === 'drizzle'
          ? 'drizzle migrations have no Down section'
          : `${noDown.length === 1 ? 'it has' : 'they have'} no Down section`
      }; nothing was rolled back`,
      {
        fix:
          set.format === 'drizzle'
            ? 'write a new migration that reverts the change (drizzle-kit generate), or rebuild the database from scratch'
            : set.format === 'node-pg-migrate'
              ? 'add a `-- Down Migration` section with the SQL that undoes each migration (node-pg-migrate too refuses: "User has disabled down migration")'
              : 'add a `-- migrate:down` block with the SQL that undoes each migration',
      },
    )
  }

  const done: Migration[] = []
  for (const [index, migration] of plan.entries()) {
    options.onMigration?.({
      phase: 'start',
      direction: 'down',
      migration,
      index,
      total: plan.length,
    })
    const t0 = performance.now()
    const down = migration.down
    await runSection({
      client,
      migration,
      name: migrationName(set, migration),
      format: set.format,
      direction: 'down',
      file: down?.file ?? migration.up.file,
      statements: down?.statements ?? [],
      transactional: down === null ? true : driver.transactional(down),
      bookkeeping: driver.downBookkeeping(state.location, migration, set),
      versionTable: state.location.display,
      done,
    })
    const ms = performance.now() - t0
    result.rolledBack.push({ migration, ms })
    done.push(migration)
    options.onMigration?.({
      phase: 'done',
      direction: 'down',
      migration,
      index,
      total: plan.length,
      ms,
    })
  }
  return { ...result, ms: performance.now() - started }
}

/** For a recorded version with no file: whether it is at or below `to` (numbered versions only). */
function recordedAtOrBelow(version: string, to: string): boolean {
  const integer = /^-?\d+$/
  return integer.test(version) && integer.test(to.trim()) && BigInt(version) <= BigInt(to.trim())
}
