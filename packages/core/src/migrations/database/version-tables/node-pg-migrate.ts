import { PgtestbedError } from '../../../errors.js'
import { quoteLiteral } from '../../../internal/quote-ident.js'
import type { Migration, MigrationSet } from '../../types.js'
import type { MigrationStatusEntry } from '../status.js'
import { dateFromMs, epochMsSql, locateTable, recordOf } from './shared.js'
import type { NoFileToRollBack, VersionRow, VersionState, VersionTableDriver } from './types.js'

const nameOf = (migration: Migration) => recordOf(migration, 'node-pg-migrate').name

/**
 * node-pg-migrate's order check (`runner.ts` `checkOrder`): the names already run, in the order
 * they ran (`run_on`, then `id`), must be the first files in file order, one for one. The first
 * place where they differ is returned.
 */
function orderConflict(
  set: MigrationSet,
  rows: readonly VersionRow[],
): { file: string; run: string } | undefined {
  const count = Math.min(rows.length, set.migrations.length)
  for (let i = 0; i < count; i++) {
    const run = rows[i]!.version
    const file = nameOf(set.migrations[i]!)
    if (run !== file) return { file, run }
  }
  return undefined
}

function orderError(
  set: MigrationSet,
  state: VersionState,
  conflict: { file: string; run: string },
) {
  return new PgtestbedError(
    'VERSION_TABLE_CONFLICT',
    `${state.location.display} and ${set.dir} disagree on the order: "Not run migration ${conflict.file} is preceding already run migration ${conflict.run}" (node-pg-migrate's order check)`,
    {
      fix: `give ${conflict.file} a prefix above the migrations already run, or apply it out of order with allowMissing: true (\`pgtestbed up --allow-missing\`, node-pg-migrate's \`--no-check-order\`)`,
    },
  )
}

/**
 * node-pg-migrate's `pgmigrations(id, name, run_on)` (`runner.ts`, `migration.ts`), in schema
 * `public` unless configured (`--migrations-schema`).
 *
 * A migration is applied when its name (the file name without extension) is in the table. Before
 * going up, node-pg-migrate checks that the names run so far, in run order, are the first files
 * one for one (else "Not run migration X is preceding already run migration Y"), unless
 * `--no-check-order` (`allowMissing`). Each migration runs in a transaction with its
 * `INSERT … (name, run_on) VALUES (…, NOW())`; down deletes the row by name.
 */
export const nodePgMigrateVersionTable: VersionTableDriver = {
  format: 'node-pg-migrate',
  // node-pg-migrate's runner (`PG_MIGRATE_LOCK_ID`).
  lockId: () => 7241865325823964n,

  locate: (client, set) => locateTable(client, set, { kind: 'fixed', schema: 'public' }),

  async create(client, location) {
    await client.query(
      `CREATE TABLE ${location.sql} (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`,
    )
    return { columns: ['id', 'name', 'run_on'], rows: [] }
  },

  async read(client, location) {
    const result = await client.query<{ id: number; name: string; ms: number | null }>(
      `SELECT id, name, ${epochMsSql('run_on')} AS ms FROM ${location.sql} ORDER BY run_on, id`,
    )
    return result.rows.map((r) => ({ id: r.id, version: r.name, appliedAt: dateFromMs(r.ms) }))
  },

  classify(set, state) {
    const byName = new Map(state.rows.map((r) => [r.version, r]))
    const lastApplied = set.migrations.reduce(
      (last, m, i) => (byName.has(nameOf(m)) ? i : last),
      -1,
    )
    const entries: MigrationStatusEntry[] = set.migrations.map((migration, i) => {
      const row = byName.get(nameOf(migration))
      if (row)
        return {
          migration,
          state: 'applied',
          ...(row.appliedAt ? { appliedAt: row.appliedAt } : {}),
        }
      return { migration, state: i < lastApplied ? 'missing' : 'pending' }
    })
    const known = new Set(set.migrations.map(nameOf))
    return {
      entries,
      unknown: state.rows
        .filter((r) => !known.has(r.version))
        .map((r) => ({ version: r.version, ...(r.appliedAt ? { appliedAt: r.appliedAt } : {}) })),
      currentVersion: state.rows.at(-1)?.version ?? null,
      dirty: false,
    }
  },

  checkUp(set, state, _classification, options) {
    if (options.allowMissing) return
    const conflict = orderConflict(set, state.rows)
    if (conflict) throw orderError(set, state, conflict)
  },

  missingPolicy: () => 'refuse',

  missingError(set, missing, _classification, state) {
    const conflict = orderConflict(set, state.rows)
    const first = missing[0]
    return orderError(
      set,
      state,
      conflict ?? { file: first ? nameOf(first) : '?', run: state.rows.at(-1)?.version ?? '?' },
    )
  },

  // node-pg-migrate rolls back the names in reverse run order.
  rollbackOrder(set, state) {
    const byName = new Map(set.migrations.map((m) => [nameOf(m), m]))
    return [...state.rows].reverse().map(
      (row): Migration | NoFileToRollBack =>
        byName.get(row.version) ?? {
          noFile: true,
          version: row.version,
          error: new PgtestbedError(
            'VERSION_TABLE_CONFLICT',
            `cannot roll back ${row.version}: "Definitions of migrations ${row.version} have been deleted." (it is recorded in ${state.location.display}, but no file in ${set.dir} has that name)`,
            {
              fix: `restore the migration file ${row.version}.sql, or delete its row from ${state.location.display} if it was removed on purpose`,
            },
          ),
        },
    )
  },

  upBookkeeping: (location, migration) => ({
    record: `INSERT INTO ${location.sql} (name, run_on) VALUES (${quoteLiteral(nameOf(migration))}, NOW())`,
  }),

  downBookkeeping: (location, migration) => ({
    record: `DELETE FROM ${location.sql} WHERE name=${quoteLiteral(nameOf(migration))}`,
  }),

  // node-pg-migrate runs every SQL migration in a transaction (only JavaScript ones can opt out).
  transactional: () => true,
  // Its CLI's --single-transaction (the default) wraps the whole run in one transaction.
  oneTransactionPerRun: true,
  // "User has disabled down migration on file: <name>".
  withoutDown: 'refuse',
}
