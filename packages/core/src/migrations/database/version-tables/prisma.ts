import { randomUUID } from 'node:crypto'
import { PgtestbedError } from '../../../errors.js'
import { quoteLiteral } from '../../../internal/quote-ident.js'
import { prismaChecksumMatches } from '../../files/formats/prisma-checksum.js'
import type { MigrationStatusEntry } from '../status.js'
import { dateFromMs, epochMsSql, locateTable, recordOf } from './shared.js'
import type { VersionRow, VersionTableDriver } from './types.js'

/** Tables Prisma's PostgreSQL connector ignores when it decides a database is empty (PostGIS's). */
const IGNORED_TABLES = ['spatial_ref_sys']

/** The live rows: what `prisma migrate resolve --rolled-back` has not set aside. */
const live = (rows: readonly VersionRow[]) => rows.filter((r) => !r.rolledBack)

/** `20240101_x (started 2024-…): <last line of the logs>`, per failed row. */
function describeFailed(rows: readonly VersionRow[]): string {
  return rows
    .map((r) => {
      // The last line of the logs is the database's error.
      const log = (r.logs ?? '').trim().split('\n').at(-1)
      const when = r.startedAt ? ` (started ${r.startedAt.toISOString()})` : ''
      return `\n\t${r.version}${when}${log ? `: ${log}` : ''}`
    })
    .join('')
}

/**
 * Prisma Migrate's `_prisma_migrations` (prisma-engines `sql-schema-connector`: the PostgreSQL
 * flavour's table DDL, `sql_migration_persistence.rs`, and `apply_migrations.rs` of
 * `prisma migrate deploy`).
 *
 * A migration is applied when a row with its folder name has no `rolled_back_at`. Applying one
 * inserts its row (a random UUID, the checksum, `started_at`) before the script runs, sends the
 * script as one query, then counts the step (`applied_steps_count` 1) and sets `finished_at`; a
 * failure writes the error into `logs` and leaves `finished_at` NULL. Such a failed row stops
 * every later run until `prisma migrate resolve`, as in Prisma. Unapplied migrations are applied
 * in folder order whether or not later ones ran (`prisma migrate deploy` does no order check);
 * status reports them as missing. A row whose checksum no longer matches its file is reported as
 * modified (Prisma's "was modified after it was applied"); deploy applies nothing differently
 * for it. Prisma has no down migrations.
 */
export const prismaVersionTable: VersionTableDriver = {
  format: 'prisma',
  // The schema engine's `SELECT pg_advisory_lock(72707369)`.
  lockId: () => 72707369n,

  // Prisma's connection sets search_path to the URL's `schema` parameter, `public` by default.
  locate: (client, set) => locateTable(client, set, { kind: 'fixed', schema: 'public' }),

  async create(client, location) {
    // Prisma creates its table only in an empty database; in one with tables and no history it
    // stops (P3005) and asks for a baseline.
    const existing = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = $1 AND NOT (c.relname = ANY ($2)) ORDER BY 1 LIMIT 3`,
      [location.schema ?? 'public', IGNORED_TABLES],
    )
    if (existing.rows.length > 0) {
      const names = existing.rows.map((r) => r.relname).join(', ')
      throw new PgtestbedError(
        'VERSION_TABLE_CONFLICT',
        `the schema ${location.schema ?? 'public'} already has tables (${names}) but no ${location.display}: Prisma refuses to migrate a database it did not create (P3005, "The database schema is not empty")`,
        {
          fix: 'baseline the database first: mark the migrations it already contains as applied with `npx prisma migrate resolve --applied <migration folder>` (https://pris.ly/d/migrate-baseline)',
        },
      )
    }
    await client.query(
      `CREATE TABLE ${location.sql} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`,
    )
    return {
      columns: [
        'id',
        'checksum',
        'finished_at',
        'migration_name',
        'logs',
        'rolled_back_at',
        'started_at',
        'applied_steps_count',
      ],
      rows: [],
    }
  },

  async read(client, location) {
    // Prisma lists the rows ordered by started_at.
    const result = await client.query<{
      id: string
      name: string
      checksum: string
      logs: string | null
      started: number | null
      finished: number | null
      rolled_back: boolean
    }>(
      `SELECT id, migration_name AS name, checksum, logs, ${epochMsSql('started_at')} AS started,
              ${epochMsSql('finished_at')} AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM ${location.sql} ORDER BY started_at, id`,
    )
    return result.rows.map((r) => ({
      version: r.name,
      checksum: r.checksum,
      logs: r.logs,
      startedAt: dateFromMs(r.started),
      appliedAt: dateFromMs(r.finished),
      failed: r.finished === null && !r.rolled_back,
      rolledBack: r.rolled_back,
    }))
  },

  classify(set, state) {
    const rows = live(state.rows)
    const byName = new Map<string, VersionRow>()
    // A later row of the same name (a migration applied again after a resolve) decides.
    for (const row of rows) byName.set(row.version, row)
    const lastApplied = set.migrations.reduce(
      (last, m, i) => (byName.has(recordOf(m, 'prisma').name) ? i : last),
      -1,
    )
    const scripts = new Map(set.migrations.map((m) => [m, m.up.statements[0]?.sql ?? '']))
    const entries: MigrationStatusEntry[] = set.migrations.map((migration, i) => {
      const row = byName.get(recordOf(migration, 'prisma').name)
      if (!row) return { migration, state: i < lastApplied ? 'missing' : 'pending' }
      const entry: MigrationStatusEntry = { migration, state: 'applied' }
      if (row.appliedAt) entry.appliedAt = row.appliedAt
      if (row.failed) entry.dirty = true
      if (!prismaChecksumMatches(scripts.get(migration) ?? '', row.checksum ?? '')) {
        entry.modified = true
      }
      return entry
    })
    const known = new Set(set.migrations.map((m) => recordOf(m, 'prisma').name))
    const unknown = [...byName.values()]
      .filter((r) => !known.has(r.version))
      .map((r) => ({ version: r.version, ...(r.appliedAt ? { appliedAt: r.appliedAt } : {}) }))
    const last = set.migrations[lastApplied]
    return {
      entries,
      unknown,
      currentVersion: last ? last.version : null,
      dirty: rows.some((r) => r.failed),
    }
  },

  checkUp(_set, state) {
    const failed = live(state.rows).filter((r) => r.failed)
    if (failed.length === 0) return
    const first = failed[0]!.version
    throw new PgtestbedError(
      'VERSION_TABLE_CONFLICT',
      `${state.location.display} records ${failed.length === 1 ? 'a failed migration' : `${failed.length} failed migrations`} (finished_at is NULL), and Prisma applies nothing more until ${failed.length === 1 ? 'it is' : 'they are'} resolved (P3009):${describeFailed(failed)}`,
      {
        fix: `check what the failed run changed in the database; if you undid it, run \`npx prisma migrate resolve --rolled-back ${first}\`, if you completed it by hand, \`npx prisma migrate resolve --applied ${first}\`; then run again (https://pris.ly/d/migrate-resolve)`,
      },
    )
  },

  // `prisma migrate deploy` applies every unapplied migration in folder order.
  missingPolicy: () => 'apply',

  missingError: () => {
    throw new Error('unreachable: Prisma applies missing migrations')
  },

  rollbackOrder(_set, _state, classification) {
    return classification.entries
      .filter((e) => e.state === 'applied')
      .map((e) => e.migration)
      .reverse()
  },

  upBookkeeping(location, migration) {
    const record = recordOf(migration, 'prisma')
    const id = quoteLiteral(randomUUID())
    return {
      // Committed before the script runs, as Prisma records a started migration.
      before: `INSERT INTO ${location.sql} (id, checksum, started_at, migration_name) VALUES (${id}, ${quoteLiteral(record.checksum)}, now(), ${quoteLiteral(record.name)})`,
      // Prisma counts the step, then sets finished_at, each in its own statement.
      record:
        `UPDATE ${location.sql} SET applied_steps_count = applied_steps_count + 1 WHERE id = ${id};` +
        `UPDATE ${location.sql} SET finished_at = now() WHERE id = ${id}`,
      failed: (message) =>
        `UPDATE ${location.sql} SET logs = ${quoteLiteral(message)} WHERE id = ${id}`,
    }
  },

  downBookkeeping() {
    throw new PgtestbedError('ROLLBACK_UNSUPPORTED', 'Prisma Migrate has no down migrations', {
      fix: 'see `pgtestbed down` in the README for what to do instead',
    })
  },

  transactional: () => false,
  withoutDown: 'refuse',
}
