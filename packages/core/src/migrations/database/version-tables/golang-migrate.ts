import { crc32 } from 'node:zlib'
import { PgtestbedError } from '../../../errors.js'
import type { Migration, MigrationSet } from '../../types.js'
import type { MigrationStatusEntry } from '../status.js'
import { locateTable, migrationName, recordOf } from './shared.js'
import type { Classification, VersionState, VersionTableDriver } from './types.js'

/** golang-migrate's "no version": an empty table. */
const NIL_VERSION = -1n

/**
 * golang-migrate's `schema_migrations(version, dirty)` (`database/postgres/postgres.go`).
 *
 * The table holds at most one row: the current version and whether the run that set it failed
 * part-way. Every step marks the target version dirty and commits that, runs the migration (the
 * whole file as one simple-protocol query, golang-migrate adds no transaction), then clears the
 * flag. A dirty table refuses every further step, as golang-migrate does.
 */
export const golangMigrateVersionTable: VersionTableDriver = {
  format: 'golang-migrate',
  // The migrate CLI's `uint32(crc32(schema \0 table \0 database)) * 1486364155`, where the
  // database is the URL's path as the CLI sees it: the name with a leading `/`.
  lockId: (set, schema, database) =>
    BigInt(
      Math.imul(crc32(`${schema}\0${set.versionTable.table}\0/${database}`), 1486364155) >>> 0,
    ),

  locate: (client, set) => locateTable(client, set, { kind: 'current-schema' }),

  async create(client, location) {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${location.sql} (version bigint not null primary key, dirty boolean not null)`,
    )
    return { columns: ['version', 'dirty'], rows: [] }
  },

  async read(client, location) {
    // golang-migrate reads the one row with LIMIT 1; reading them all lets us notice a table
    // that someone else wrote more rows into.
    const result = await client.query<{ version: string; dirty: boolean }>(
      `SELECT version::text AS version, dirty FROM ${location.sql}`,
    )
    return result.rows.map((r) => ({ version: r.version, dirty: r.dirty }))
  },

  classify(set, state) {
    const row = state.rows[0]
    const current = row ? BigInt(row.version) : null
    // golang-migrate has no out-of-order support: everything at or below the current version
    // counts as applied, a file numbered lower that never ran is skipped forever.
    const entries: MigrationStatusEntry[] = set.migrations.map((migration) => {
      const version = recordOf(migration, 'golang-migrate').version
      if (current === null || version > current) return { migration, state: 'pending' }
      // The dirty row names the version whose run failed part-way (up: that one; down: the target).
      return version === current && row?.dirty
        ? { migration, state: 'applied', dirty: true }
        : { migration, state: 'applied' }
    })
    const unknown =
      current !== null &&
      current !== NIL_VERSION &&
      !set.migrations.some((m) => recordOf(m, 'golang-migrate').version === current)
        ? [{ version: current.toString() }]
        : []
    return {
      entries,
      unknown,
      currentVersion: current === null || current === NIL_VERSION ? null : current.toString(),
      dirty: row?.dirty === true,
    }
  },

  checkUp(set, state, classification) {
    refuseDirtyOrUnknown(set, state, classification, 'migrate up')
  },

  missingPolicy: () => 'apply',

  missingError: () => {
    // golang-migrate never classifies a migration as missing (see classify).
    throw new Error('unreachable: golang-migrate has no missing migrations')
  },

  rollbackOrder(set, state, classification) {
    refuseDirtyOrUnknown(set, state, classification, 'roll back')
    return classification.entries
      .filter((e) => e.state === 'applied')
      .map((e) => e.migration)
      .reverse()
  },

  upBookkeeping(location, migration) {
    const version = recordOf(migration, 'golang-migrate').version
    return {
      before: setVersion(location.sql, version, true),
      record: setVersion(location.sql, version, false),
    }
  },

  // Going down from version N sets the previous file's version (or no version at all).
  downBookkeeping(location, migration, set) {
    const target = previousVersion(set, migration)
    return {
      before: setVersion(location.sql, target, true),
      record: setVersion(location.sql, target, false),
    }
  },

  transactional: () => false,
  // A missing .down.sql is an empty migration to golang-migrate: only the version changes.
  withoutDown: 'record-only',
}

/**
 * golang-migrate's `SetVersion`: empty the table and insert the new row, atomically (one
 * multi-command query is one implicit transaction). "No version" is an empty table, except
 * that a dirty "no version" is kept as a -1 row, as golang-migrate does (its issue #330).
 */
function setVersion(table: string, version: bigint, dirty: boolean): string {
  if (version < 0n && !(version === NIL_VERSION && dirty)) return `TRUNCATE ${table}`
  return `TRUNCATE ${table}; INSERT INTO ${table} (version, dirty) VALUES (${version}, ${dirty})`
}

function previousVersion(set: MigrationSet, migration: Migration): bigint {
  const index = set.migrations.indexOf(migration)
  const previous = index > 0 ? set.migrations[index - 1] : undefined
  return previous ? recordOf(previous, 'golang-migrate').version : NIL_VERSION
}

function refuseDirtyOrUnknown(
  set: MigrationSet,
  state: VersionState,
  classification: Classification,
  action: string,
): void {
  const row = state.rows[0]
  const table = state.location.display
  if (state.rows.length > 1) {
    throw new PgtestbedError(
      'VERSION_TABLE_CONFLICT',
      `cannot ${action}: ${table} holds ${state.rows.length} rows, but golang-migrate keeps exactly one (the current version)`,
      {
        fix: `keep only the row of the real current version in ${table} (or run \`migrate force <version>\`)`,
      },
    )
  }
  if (row?.dirty) {
    const failed = set.migrations.find(
      (m) => recordOf(m, 'golang-migrate').version.toString() === row.version,
    )
    const previous = failed ? previousVersion(set, failed).toString() : 'the previous version'
    const file = failed ? ` (${migrationName(set, failed)})` : ''
    throw new PgtestbedError(
      'VERSION_TABLE_CONFLICT',
      `cannot ${action}: ${table} says version ${row.version} is dirty: a run of migration ${row.version}${file} failed part-way and may have left some of its changes behind (golang-migrate: "Dirty database version ${row.version}. Fix and force version.")`,
      {
        fix: `check what migration ${row.version} changed and finish or undo it by hand, then run \`migrate -path ${set.dir} -database <url> force ${row.version}\` if it is now complete, or \`force ${previous}\` if you undid it`,
      },
    )
  }
  const unknown = classification.unknown[0]
  if (unknown) {
    throw new PgtestbedError(
      'VERSION_TABLE_CONFLICT',
      `cannot ${action}: ${table} records version ${unknown.version}, but no migration file in ${set.dir} has that version (golang-migrate: "no migration found for version ${unknown.version}")`,
      {
        fix: `restore the migration files for version ${unknown.version}, or run \`migrate force <version>\` with a version that has files`,
      },
    )
  }
}
