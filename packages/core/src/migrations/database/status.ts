import path from 'node:path'
import type pg from 'pg'
import { displayPath } from '../../diagnostics.js'
import type { Migration, MigrationFormat, MigrationSet } from '../types.js'
import { loadVersionState, versionTableDriver } from './version-tables/index.js'
import { migrationName } from './version-tables/shared.js'

/**
 * Where a migration file stands against the version table: `applied`; `pending` (will run on the
 * next apply); `missing` (never ran although a newer version did: goose refuses it without
 * `allowMissing`, dbmate applies it unless `--strict`, drizzle 0.x would skip it forever).
 */
export type MigrationState = 'applied' | 'pending' | 'missing'

/** One migration file and its state. */
export interface MigrationStatusEntry {
  migration: Migration
  state: MigrationState
  /** When it was applied, where the table records it (goose `tstamp`, drizzle v1 `applied_at`). */
  appliedAt?: Date
  /**
   * golang-migrate: this is the current version and the table marks it dirty (its last run
   * failed part-way; golang-migrate refuses to go on until `migrate force`). Prisma: its row says
   * the run failed (`finished_at` NULL; Prisma refuses to go on until `prisma migrate resolve`).
   * The state stays `applied`, as both tools count it. Absent otherwise.
   */
  dirty?: true
  /**
   * Prisma only: the file no longer matches the checksum recorded when it was applied (Prisma's
   * "was modified after it was applied"). Absent otherwise.
   */
  modified?: true
}

/** A version recorded in the table that no migration file explains. */
export interface UnknownVersion {
  /** As stored (drizzle: the v1 folder name, else `created_at`). */
  version: string
  appliedAt?: Date
}

/** The state of a database against a migration set, as {@link getMigrationStatus} reads it. */
export interface MigrationStatus {
  format: MigrationFormat
  /** The version table, as `schema.table` or `table`. */
  versionTable: string
  /** Whether the version table exists (when not, everything is pending). */
  tableExists: boolean
  /** Every migration file, in apply order. */
  migrations: MigrationStatusEntry[]
  applied: MigrationStatusEntry[]
  pending: Migration[]
  missing: Migration[]
  /** Versions in the table with no file. */
  unknown: UnknownVersion[]
  /**
   * The current version as the tool defines it (goose: the highest `version_id`; golang-migrate:
   * its one row; dbmate: the highest version; drizzle: the newest applied migration); `null`
   * when nothing is recorded.
   */
  currentVersion: string | null
  /**
   * golang-migrate: the last run failed part-way; Prisma: a run failed and is not resolved. The
   * tool refuses to go on. Else `false`.
   */
  dirty: boolean
}

/**
 * Reads the version table and places every migration file as applied, pending or missing, by the
 * tool's own rules; also lists versions in the table that have no file. Read-only: a missing
 * version table is reported, not created.
 *
 * @example
 * const status = await getMigrationStatus(client, set)
 * if (status.pending.length) console.log(`${status.pending.length} pending`)
 * console.log(formatMigrationStatus(status))
 */
export async function getMigrationStatus(
  client: pg.ClientBase,
  set: MigrationSet,
): Promise<MigrationStatus> {
  const state = await loadVersionState(client, set, { create: false })
  const classification = versionTableDriver(set.format).classify(set, state)
  const { entries } = classification
  return {
    format: set.format,
    versionTable: state.location.display,
    tableExists: state.location.columns !== null,
    migrations: entries,
    applied: entries.filter((e) => e.state === 'applied'),
    pending: entries.filter((e) => e.state === 'pending').map((e) => e.migration),
    missing: entries.filter((e) => e.state === 'missing').map((e) => e.migration),
    unknown: classification.unknown,
    currentVersion: classification.currentVersion,
    dirty: classification.dirty,
  }
}

/** Options of {@link formatMigrationStatus}. */
export interface FormatStatusOptions {
  /** The migrations folder, to print file names relative to it. Default: each file's base name. */
  dir?: string
}

/** What the status table shows for a dirty golang-migrate version. */
const DIRTY = 'Dirty (failed part-way)'
/** What it shows for a Prisma migration whose row says the run failed. */
const FAILED = 'Failed'

/**
 * Prints a status like `goose status`: an "Applied At / Migration" table with one line per file
 * (the applied-at time in goose's `Mon Jan _2 15:04:05 2006` layout, local time, or `Pending`,
 * `Missing`, `Dirty (failed part-way)`), then the versions with no file, the current version and,
 * for a dirty golang-migrate version, how to clear it with `migrate force`.
 *
 * @example
 * console.log(formatMigrationStatus(await getMigrationStatus(client, set), { dir: set.dir }))
 * //     Applied At                  Migration
 * //     =======================================
 * //     Mon Jan  6 10:02:11 2025 -- 00001_create_users.sql
 * //     Pending                  -- 00002_add_email.sql
 */
export function formatMigrationStatus(
  status: MigrationStatus,
  options: FormatStatusOptions = {},
): string {
  const { dir } = options
  const name = (m: Migration) =>
    dir === undefined ? path.basename(m.files[0] ?? m.up.file) : migrationName({ dir }, m)
  const lines = [
    '    Applied At                  Migration',
    '    =======================================',
  ]
  const failedLabel = status.format === 'prisma' ? FAILED : DIRTY
  for (const entry of status.migrations) {
    const when = entry.dirty
      ? failedLabel
      : entry.state === 'applied'
        ? entry.appliedAt
          ? ansiC(entry.appliedAt)
          : 'Applied'
        : entry.state === 'missing'
          ? 'Missing (out of order)'
          : 'Pending'
    const modified = entry.modified ? ' (modified after it was applied)' : ''
    lines.push(`    ${when.padEnd(24)} -- ${name(entry.migration)}${modified}`)
  }
  for (const unknown of status.unknown) {
    const dirty = status.dirty && unknown.version === status.currentVersion
    const when = dirty ? DIRTY : unknown.appliedAt ? ansiC(unknown.appliedAt) : 'Applied'
    lines.push(`    ${when.padEnd(24)} -- version ${unknown.version} (no file)`)
  }
  if (!status.tableExists) lines.push('', `    ${status.versionTable} does not exist yet`)
  lines.push(
    '',
    `    current version: ${status.currentVersion ?? 'none'}${status.dirty ? ' (dirty)' : ''}`,
  )
  if (status.dirty) {
    lines.push(...(status.format === 'prisma' ? failedHint(status) : dirtyHint(status, dir)))
  }
  if (status.migrations.some((e) => e.modified)) lines.push(...modifiedHint(status))
  return lines.join('\n')
}

/** How to go on after a failed Prisma migration: `prisma migrate resolve`, as Prisma says. */
function failedHint(status: MigrationStatus): string[] {
  const failed = status.migrations.find((e) => e.dirty)?.migration.version ?? '<migration>'
  return [
    `    ${failed} failed part-way, and Prisma (and pgtestbed) apply nothing more until it is resolved (P3009).`,
    `    Check what it changed; if you undid it, run \`npx prisma migrate resolve --rolled-back ${failed}\`; if you completed it by hand, \`npx prisma migrate resolve --applied ${failed}\`.`,
  ]
}

/** Prisma's "was modified after it was applied": the file no longer matches the recorded checksum. */
function modifiedHint(status: MigrationStatus): string[] {
  const names = status.migrations.filter((e) => e.modified).map((e) => e.migration.version)
  return [
    `    ${names.join(', ')} ${names.length === 1 ? 'was' : 'were'} modified after ${names.length === 1 ? 'it was' : 'they were'} applied: the file no longer matches the checksum in ${status.versionTable}.`,
    '    `prisma migrate deploy` goes on regardless, but `prisma migrate dev` asks to reset the database: restore the file from git, and change the schema in a new migration instead.',
  ]
}

/**
 * How to clear golang-migrate's dirty flag: complete or undo the failed run by hand, then
 * `migrate force` the version the database now matches. The table names the version the run was
 * moving to (the failed migration on the way up, the one below it on the way down).
 */
function dirtyHint(status: MigrationStatus, dir: string | undefined): string[] {
  const current = status.currentVersion ?? '-1'
  const index = status.migrations.findIndex((e) => e.dirty)
  const previous = index < 0 ? undefined : (status.migrations[index - 1]?.migration.version ?? '-1')
  const force = `migrate -path ${dir === undefined ? '<migrations folder>' : displayPath(dir)} -database <url> force <version>`
  const choices =
    previous === undefined
      ? `${current} if the change is complete`
      : `${current} if the change is complete, ${previous} if you undid a failed up`
  return [
    `    version ${current} is dirty: a run moving the database to version ${current} failed part-way, and golang-migrate (and pgtestbed) refuse to migrate until the flag is cleared.`,
    `    Check what that run changed, complete or undo it by hand, then record the version the database matches: \`${force}\` (${choices}).`,
  ]
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Go's `time.ANSIC` layout, `Mon Jan _2 15:04:05 2006`, in local time. */
function ansiC(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0')
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ${time} ${date.getFullYear()}`
}
