import type pg from 'pg'
import { throwIfErrors } from '../../diagnostics.js'
import { PgtestbedError } from '../../errors.js'
import { runSection } from './apply-run.js'
import { acquireMigrationLock, type MigrationLockOptions } from './lock.js'
import type { Migration, MigrationSet } from '../types.js'
import { loadVersionState, versionTableDriver } from './version-tables/index.js'
import { migrationName } from './version-tables/shared.js'
import type { Bookkeeping, Classification } from './version-tables/types.js'

/** A progress event: one migration starts, or one is done (applied or rolled back, and recorded). */
export interface MigrationEvent {
  phase: 'start' | 'done'
  direction: 'up' | 'down'
  migration: Migration
  /** 0-based position of the migration in this run. */
  index: number
  /** How many migrations this run will apply (or roll back). */
  total: number
  /** How long the migration took, in milliseconds (`done` only). */
  ms?: number
}

/** Options of {@link applyMigrations}. */
export interface ApplyOptions {
  /**
   * Apply up to and including this version (a migration's `version`, or for numbered formats any
   * integer: everything at or below it). Default: every pending migration.
   */
  to?: string
  /**
   * Apply missing (out-of-order) migrations — files older than the newest applied version that
   * never ran — instead of failing, like `goose up -allow-missing` (node-pg-migrate:
   * `--no-check-order`). They run first, in order. dbmate, drizzle v1 and Prisma always apply
   * them, as those tools do. Default: `false`.
   */
  allowMissing?: boolean
  /** Called before and after each migration. Keep it cheap: it runs inline. Default: none. */
  onMigration?: (event: MigrationEvent) => void
  /**
   * Take the migration lock first (a session advisory lock, the tool's own id where the tool
   * locks, see `acquireMigrationLock`), so concurrent runs on one database (replicas of a migrate
   * job) apply each migration once: the others wait, then find nothing left to apply. `true`
   * waits up to 5 minutes; pass `{ timeoutMs, onWait }` to choose. Released when done. Default:
   * `false` (the caller excludes other runs, as a template build does).
   */
  lock?: boolean | MigrationLockOptions
}

/** One migration that a run applied or rolled back. */
export interface CompletedMigration {
  migration: Migration
  /** Milliseconds it took, bookkeeping included. */
  ms: number
}

/** What {@link applyMigrations} did. */
export interface ApplyResult {
  /** The migrations applied by this run, in order. Empty when everything was up to date. */
  applied: CompletedMigration[]
  /** The current version afterwards, as the tool defines it; `null` when nothing is applied. */
  currentVersion: string | null
  /** The version table, as `schema.table` or `table`. */
  versionTable: string
  /** Milliseconds the whole run took. */
  ms: number
  /** True when `lock` was asked for and another run held it first (this one waited). */
  waitedForLock: boolean
}

/**
 * Applies the pending migrations of `set` — their Up sections only, never a Down section — and
 * records each in the tool's own version table, exactly as the tool would, so the database is
 * indistinguishable from one the tool migrated. The table is created when absent.
 *
 * Pending means what it means to the tool: goose, versions with no row (missing ones below the
 * newest fail unless `allowMissing`); golang-migrate, versions above the current one (a dirty
 * table refuses); dbmate, versions not in the table; drizzle, journal entries newer than the
 * newest row (v1: folder names not in the table); Prisma, folders with no live
 * `_prisma_migrations` row (a failed row refuses); node-pg-migrate, names not in `pgmigrations`
 * (a file sorting before one already run fails its order check unless `allowMissing`).
 *
 * Each migration runs in its own transaction with its record, unless the tool runs it without
 * one (goose `NO TRANSACTION`, dbmate `transaction:false`: statements in autocommit, then the
 * record; golang-migrate: the whole file as one query between dirty marks; Prisma: its row first,
 * then the whole file as one query, then the row completed). drizzle and node-pg-migrate, as
 * their tools do, run all pending migrations in one transaction, so a failure keeps none of them.
 * The client must not be inside a transaction.
 *
 * @throws DiagnosticsError (`VALIDATION_FAILED`) when `set.diagnostics` holds errors: a broken
 *   file must never be skipped silently.
 * @throws PgtestbedError `VERSION_TABLE_CONFLICT` when the table contradicts the files.
 * @throws PgtestbedError `MIGRATION_LOCK_TIMEOUT` when `lock` is asked for and another run holds
 *   it past the timeout.
 * @throws MigrationApplyError (`APPLY_FAILED`) at the first failing statement; migrations before
 *   it stay applied and recorded (drizzle, node-pg-migrate: rolled back too), nothing of a
 *   transactional failing migration is kept.
 *
 * @example
 * const set = await discoverMigrations({ migrations: './migrations' })
 * const result = await applyMigrations(client, set, {
 *   onMigration: (e) => e.phase === 'done' && console.log(`applied ${e.migration.version} in ${e.ms} ms`),
 * })
 * console.log(`now at version ${result.currentVersion}`)
 */
export async function applyMigrations(
  client: pg.ClientBase,
  set: MigrationSet,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const started = performance.now()
  throwIfErrors(set.diagnostics, 'VALIDATION_FAILED', `cannot apply the migrations in ${set.dir}`)
  if (!options.lock) return applyPending(client, set, options, started, false)
  const lock = await acquireMigrationLock(client, set, options.lock === true ? {} : options.lock)
  try {
    return await applyPending(client, set, options, started, lock.waited)
  } finally {
    // A failed run's connection may be unusable; the lock then goes with the session.
    await lock.release().catch(() => {})
  }
}

/** {@link applyMigrations} once the set is known valid and the lock, if any, is held. */
async function applyPending(
  client: pg.ClientBase,
  set: MigrationSet,
  options: ApplyOptions,
  started: number,
  waitedForLock: boolean,
): Promise<ApplyResult> {
  const driver = versionTableDriver(set.format)
  const state = await loadVersionState(client, set, { create: true })
  const classification = driver.classify(set, state)
  driver.checkUp?.(set, state, classification, { allowMissing: options.allowMissing ?? false })

  const included = versionFilter(set, options.to, 'to')
  const missing = classification.entries
    .filter((e) => e.state === 'missing')
    .map((e) => e.migration)
  if (missing.length > 0 && driver.missingPolicy(set) === 'refuse' && !options.allowMissing) {
    throw driver.missingError(set, missing, classification, state)
  }
  // Set order is the tool's apply order, so missing versions (all below the newest applied one)
  // come before new ones, as goose applies them.
  const plan = classification.entries
    .filter((e) => e.state !== 'applied' && included(e.migration))
    .map((e) => e.migration)

  const applied: CompletedMigration[] = []
  const done: Migration[] = []
  // drizzle and node-pg-migrate apply a whole run in one transaction: a failure keeps nothing.
  const inRunTransaction = driver.oneTransactionPerRun === true && plan.length > 0
  if (inRunTransaction) await client.query('BEGIN')
  try {
    for (const [index, migration] of plan.entries()) {
      options.onMigration?.({
        phase: 'start',
        direction: 'up',
        migration,
        index,
        total: plan.length,
      })
      const t0 = performance.now()
      await runSection({
        client,
        migration,
        name: migrationName(set, migration),
        format: set.format,
        direction: 'up',
        file: migration.up.file,
        statements: migration.up.statements,
        transactional: driver.transactional(migration.up),
        bookkeeping: commitAfterLast(
          driver.upBookkeeping(state.location, migration, set),
          inRunTransaction && index === plan.length - 1,
        ),
        versionTable: state.location.display,
        done,
        inRunTransaction,
      })
      const ms = performance.now() - t0
      applied.push({ migration, ms })
      done.push(migration)
      options.onMigration?.({
        phase: 'done',
        direction: 'up',
        migration,
        index,
        total: plan.length,
        ms,
      })
    }
  } catch (error) {
    // A dead connection cannot roll back: the server already did.
    if (inRunTransaction) await client.query('ROLLBACK').catch(() => {})
    throw error
  }
  return {
    applied,
    currentVersion: versionAfterUp(set, classification, done),
    versionTable: state.location.display,
    ms: performance.now() - started,
    waitedForLock,
  }
}

/**
 * The run's COMMIT rides on its last record, so a deferred constraint that fails there is
 * reported against that migration like any failing record.
 */
function commitAfterLast(bookkeeping: Bookkeeping, last: boolean): Bookkeeping {
  return last ? { ...bookkeeping, record: `${bookkeeping.record};COMMIT` } : bookkeeping
}

/**
 * A predicate for "at or below version `version`": a migration's exact `version` (its position
 * in set order), or for numbered formats any integer. `undefined` accepts everything.
 *
 * @throws PgtestbedError `INVALID_OPTIONS` when the version matches nothing.
 */
export function versionFilter(
  set: MigrationSet,
  version: string | undefined,
  option: string,
): (migration: Migration) => boolean {
  if (version === undefined) return () => true
  const exact = set.migrations.findIndex((m) => m.version === version)
  if (exact >= 0) {
    const positions = new Map(set.migrations.map((m, i) => [m, i]))
    return (m) => (positions.get(m) ?? Infinity) <= exact
  }
  const numbered = set.migrations.every((m) => m.versionNumber !== undefined)
  if (numbered && /^-?\d+$/.test(version.trim())) {
    const limit = BigInt(version.trim())
    return (m) => (m.versionNumber as bigint) <= limit
  }
  const known = set.migrations.map((m) => m.version)
  throw new PgtestbedError(
    'INVALID_OPTIONS',
    `${option}: no migration in ${set.dir} has version "${version}"`,
    {
      fix: known.length
        ? `use one of the versions from ${known[0]} to ${known[known.length - 1]}${numbered ? ' (or any integer)' : ''}`
        : `add migrations to ${set.dir}`,
    },
  )
}

/** The tool's current version once `applied` were added to what the table held. */
function versionAfterUp(
  set: MigrationSet,
  before: Classification,
  applied: readonly Migration[],
): string | null {
  if (applied.length === 0) return before.currentVersion
  const newlyApplied = new Set(applied)
  if (set.format === 'goose' || set.format === 'golang-migrate') {
    let max = before.currentVersion === null ? null : BigInt(before.currentVersion)
    for (const m of applied)
      if (max === null || (m.versionNumber as bigint) > max) max = m.versionNumber as bigint
    return max === null ? null : max.toString()
  }
  if (set.format === 'dbmate') {
    return applied.reduce(
      (max, m) => (max === null || m.version > max ? m.version : max),
      before.currentVersion,
    )
  }
  const last = before.entries
    .filter((e) => e.state === 'applied' || newlyApplied.has(e.migration))
    .at(-1)
  return last ? last.migration.version : null
}
