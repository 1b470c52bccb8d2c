import { PgtestbedError } from '../../../errors.js'
import { quoteIdent, quoteLiteral } from '../../../internal/quote-ident.js'
import type { MigrationStatusEntry } from '../status.js'
import { locateTable, recordOf } from './shared.js'
import type { VersionTableDriver } from './types.js'

/**
 * dbmate's `schema_migrations(version)` (`pkg/driver/postgres/postgres.go`, v2.27+ DDL).
 *
 * A version is applied when its string (the file's digits exactly as written) is in the table.
 * dbmate applies files older than the newest applied one by default, so missing migrations are
 * reported by status (what `--strict` would reject) but applied. The table's schema is created
 * when it does not exist, as dbmate does.
 */
export const dbmateVersionTable: VersionTableDriver = {
  format: 'dbmate',

  // dbmate uses the first search_path entry of its URL, else current_schema(), else public.
  locate: (client, set) => locateTable(client, set, { kind: 'current-schema', fallback: 'public' }),

  async create(client, location) {
    const schema =
      location.schema === undefined
        ? ''
        : `create schema if not exists ${quoteIdent(location.schema)};\n`
    await client.query(
      `${location.schemaExists ? '' : schema}create table if not exists ${location.sql} (version varchar primary key)`,
    )
    return { columns: ['version'], rows: [] }
  },

  async read(client, location) {
    const result = await client.query<{ version: string }>(
      `SELECT version FROM ${location.sql} ORDER BY version`,
    )
    return result.rows.map((r) => ({ version: r.version }))
  },

  classify(set, state) {
    const recorded = new Set(state.rows.map((r) => r.version))
    // dbmate compares versions as strings (its --strict check and its ordering).
    const newest = state.rows.reduce<string | null>(
      (max, r) => (max === null || r.version > max ? r.version : max),
      null,
    )
    const known = new Set<string>()
    const entries: MigrationStatusEntry[] = set.migrations.map((migration) => {
      const version = recordOf(migration, 'dbmate').version
      known.add(version)
      if (recorded.has(version)) return { migration, state: 'applied' }
      return { migration, state: newest !== null && version < newest ? 'missing' : 'pending' }
    })
    const unknown = state.rows
      .filter((r) => !known.has(r.version))
      .map((r) => ({ version: r.version }))
    return { entries, unknown, currentVersion: newest, dirty: false }
  },

  missingPolicy: () => 'apply',

  missingError: () => {
    throw new Error('unreachable: dbmate applies missing migrations')
  },

  // dbmate rolls back the applied migration that comes last in file-name order.
  rollbackOrder(set, state, classification) {
    const order = classification.entries
      .filter((e) => e.state === 'applied')
      .map((e) => e.migration)
    order.reverse()
    const newestFile = order[0] ? recordOf(order[0], 'dbmate').version : null
    const stray = classification.unknown.find((u) => newestFile === null || u.version > newestFile)
    if (stray) {
      throw new PgtestbedError(
        'VERSION_TABLE_CONFLICT',
        `cannot roll back: the newest version in ${state.location.display} is ${stray.version}, but no migration file in ${set.dir} has that version`,
        {
          fix: `restore the migration file for version ${stray.version}, or delete its row from ${state.location.display} if it was removed on purpose`,
        },
      )
    }
    return order
  },

  upBookkeeping: (location, migration) => ({
    record: `insert into ${location.sql} (version) values (${quoteLiteral(recordOf(migration, 'dbmate').version)})`,
  }),

  downBookkeeping: (location, migration) => ({
    record: `delete from ${location.sql} where version = ${quoteLiteral(recordOf(migration, 'dbmate').version)}`,
  }),

  transactional: (section) => section.transaction,
  withoutDown: 'refuse',
}
