import type pg from 'pg'
import type { PgtestbedError } from '../../../errors.js'
import type { Migration, MigrationFormat, MigrationSection, MigrationSet } from '../../types.js'
import type { MigrationStatusEntry, UnknownVersion } from '../status.js'

/** Where a version table is, resolved against one connection. */
export interface TableLocation {
  /** Schema of the table; `undefined` when the name resolves through `search_path` (goose). */
  schema: string | undefined
  table: string
  /** The quoted name to put into SQL, qualified when `schema` is set. */
  sql: string
  /** The name as messages show it: `goose_db_version`, `drizzle.__drizzle_migrations`. */
  display: string
  /** Whether `schema` exists (always true for an unqualified name). */
  schemaExists: boolean
  /** The table's columns, or `null` when the table does not exist. */
  columns: ReadonlySet<string> | null
}

/** One row of a version table, normalised across tools. */
export interface VersionRow {
  /** Row id where the table has one (goose, drizzle); it orders rows by insertion. */
  id?: number
  /** goose `version_id`, golang-migrate `version`, dbmate `version`, drizzle `created_at`. */
  version: string
  /** goose `is_applied`. */
  isApplied?: boolean
  /** golang-migrate `dirty`. */
  dirty?: boolean
  /** drizzle `hash`. */
  hash?: string
  /** drizzle v1 `name`. */
  name?: string | null
  /** goose `tstamp`, drizzle v1 `applied_at`, Prisma `finished_at`, node-pg-migrate `run_on`. */
  appliedAt?: Date
  /** Prisma: the row's `checksum` of `migration.sql`. */
  checksum?: string
  /** Prisma: when the migration started (`started_at`). */
  startedAt?: Date
  /** Prisma: the run failed (`finished_at` and `rolled_back_at` are both NULL). */
  failed?: boolean
  /** Prisma: `prisma migrate resolve --rolled-back` marked the row (`rolled_back_at` set). */
  rolledBack?: boolean
  /** Prisma: the error text recorded for a failed run (`logs`). */
  logs?: string | null
}

/** What a version table holds, as read at the start of a run. */
export interface VersionState {
  location: TableLocation
  /** Rows in insertion order (by id) where the table has ids, else by version. */
  rows: VersionRow[]
}

/** Every migration file of a set placed against the version table, by the tool's own rules. */
export interface Classification {
  /** One entry per migration, in set order. */
  entries: MigrationStatusEntry[]
  /** Versions recorded in the table that no migration file explains. */
  unknown: UnknownVersion[]
  /** The tool's idea of the current version; `null` when nothing is recorded. */
  currentVersion: string | null
  /** golang-migrate: the last run failed part-way; Prisma: a run failed and is not resolved. */
  dirty: boolean
}

/**
 * The version-table SQL that surrounds one migration's statements. `before` is committed on its
 * own before the statements run (golang-migrate's dirty mark); `record` runs in the migration's
 * transaction, or right after its statements when it has none.
 */
export interface Bookkeeping {
  before?: string
  record: string
  /**
   * SQL that records a failed run, given the error's message (Prisma writes it into `logs` of the
   * row `before` inserted). Run after the failure, in autocommit; best effort.
   */
  failed?: (message: string) => string
}

/** A recorded version the rollback would reach but cannot undo: no file has it. */
export interface NoFileToRollBack {
  noFile: true
  /** The version as stored. */
  version: string
  /** Thrown when the rollback reaches this version. */
  error: PgtestbedError
}

/** One migration tool's version table: how to find, create, read and write it. */
export interface VersionTableDriver {
  format: MigrationFormat
  /** Resolves the table's schema and whether it exists, in one round trip. */
  locate(client: pg.ClientBase, set: MigrationSet): Promise<TableLocation>
  /**
   * Creates the table exactly as the tool does (and the schema where the tool does); returns the
   * new table's columns and the rows the tool writes with it (goose's version 0).
   */
  create(
    client: pg.ClientBase,
    location: TableLocation,
    set: MigrationSet,
  ): Promise<{ columns: string[]; rows: VersionRow[] }>
  /** Reads every row. */
  read(client: pg.ClientBase, location: TableLocation): Promise<VersionRow[]>
  /** Places each migration as applied, pending or missing. */
  classify(set: MigrationSet, state: VersionState): Classification
  /**
   * Throws when the tool would refuse to migrate up from this state (dirty, a failed Prisma run,
   * node-pg-migrate's order check unless `allowMissing`…).
   */
  checkUp?(
    set: MigrationSet,
    state: VersionState,
    classification: Classification,
    options: { allowMissing: boolean },
  ): void
  /**
   * How missing (out-of-order) migrations are handled on the way up: `'refuse'` fails unless
   * `allowMissing` (goose, drizzle journal), `'apply'` applies them in order (dbmate, drizzle v1).
   */
  missingPolicy(set: MigrationSet): 'refuse' | 'apply'
  /** The error for missing migrations under the `'refuse'` policy, worded like the tool. */
  missingError(
    set: MigrationSet,
    missing: readonly Migration[],
    classification: Classification,
    state: VersionState,
  ): PgtestbedError
  /**
   * Applied migrations in the order the tool would roll them back (newest first). A recorded
   * version with no file is a {@link NoFileToRollBack}: it fails the rollback only if reached.
   */
  rollbackOrder(
    set: MigrationSet,
    state: VersionState,
    classification: Classification,
  ): (Migration | NoFileToRollBack)[]
  /** SQL that records `migration` as applied. */
  upBookkeeping(location: TableLocation, migration: Migration, set: MigrationSet): Bookkeeping
  /** SQL that records `migration` as rolled back. */
  downBookkeeping(location: TableLocation, migration: Migration, set: MigrationSet): Bookkeeping
  /** Whether the tool wraps this section in a transaction of its own. */
  transactional(section: MigrationSection): boolean
  /**
   * Set when the tool applies every pending migration of a run in ONE transaction (drizzle's
   * migrator, node-pg-migrate's CLI): a failure anywhere keeps none of them.
   */
  oneTransactionPerRun?: true
  /**
   * The session advisory-lock id the tool itself takes while it migrates, so a pgtestbed run and
   * the tool exclude each other (`database` is the current database's name). Absent when the tool
   * takes no lock: pgtestbed then uses an id of its own (`migrations/database/lock.ts`).
   */
  lockId?(set: MigrationSet, schema: string, database: string): bigint
  /**
   * Rolling back a migration without a Down section: `'record-only'` just updates the table
   * (goose, golang-migrate), `'refuse'` fails (dbmate, drizzle).
   */
  withoutDown: 'record-only' | 'refuse'
}
