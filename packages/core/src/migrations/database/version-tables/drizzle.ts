import { PgtestbedError } from '../../../errors.js'
import { quoteIdent, quoteLiteral } from '../../../internal/quote-ident.js'
import type { Migration, MigrationSet } from '../../types.js'
import type { MigrationStatusEntry } from '../status.js'
import { dateFromMs, epochMsSql, locateTable, recordOf } from './shared.js'
import type { VersionRow, VersionTableDriver } from './types.js'

/** drizzle's default schema for its table. */
const DRIZZLE_SCHEMA = 'drizzle'

/**
 * drizzle's `__drizzle_migrations(id, hash, created_at)` (drizzle-orm `pg-core/dialect.ts`), plus
 * `name` and `applied_at` for the v1 folder-per-migration layout.
 *
 * drizzle 0.x decides by timestamp only: an entry is pending when its journal `when` is newer than
 * the newest `created_at`. An older-dated entry that never ran is skipped by drizzle silently and
 * forever; pgtestbed matches rows by `created_at` (then hash), reports such an entry as missing
 * and refuses to go on unless `allowMissing`. v1 decides by folder name and applies out of order.
 */
export const drizzleVersionTable: VersionTableDriver = {
  format: 'drizzle',

  locate: (client, set) => locateTable(client, set, { kind: 'fixed', schema: DRIZZLE_SCHEMA }),

  async create(client, location, set) {
    const schema =
      location.schemaExists || location.schema === undefined
        ? ''
        : `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(location.schema)};\n`
    const v1 = isV1(set)
    await client.query(
      `${schema}CREATE TABLE IF NOT EXISTS ${location.sql} (
        id SERIAL PRIMARY KEY,
        hash text NOT NULL,
        created_at bigint${v1 ? ',\n        name text,\n        applied_at timestamp with time zone DEFAULT now()' : ''}
      )`,
    )
    const columns = ['id', 'hash', 'created_at']
    return { columns: v1 ? [...columns, 'name', 'applied_at'] : columns, rows: [] }
  },

  async read(client, location) {
    const columns = location.columns ?? new Set<string>()
    const name = columns.has('name') ? ', name' : ''
    const appliedAt = columns.has('applied_at') ? `, ${epochMsSql('applied_at')} AS ms` : ''
    const result = await client.query<{
      id: number
      hash: string
      created_at: string | null
      name?: string | null
      ms?: number | null
    }>(
      `SELECT id, hash, created_at::text AS created_at${name}${appliedAt} FROM ${location.sql} ORDER BY id`,
    )
    return result.rows.map((r) => ({
      id: r.id,
      version: r.created_at ?? '',
      hash: r.hash,
      name: r.name,
      appliedAt: dateFromMs(r.ms),
    }))
  },

  classify(set, state) {
    const { matched, unmatched } = matchRows(set, state.rows)
    const v1 = isV1(set)
    const newest = state.rows.reduce<bigint | null>((max, r) => {
      if (r.version === '') return max
      const v = BigInt(r.version)
      return max === null || v > max ? v : max
    }, null)
    const lastApplied = set.migrations.reduce((last, m, i) => (matched.has(m) ? i : last), -1)
    const entries: MigrationStatusEntry[] = set.migrations.map((migration, i) => {
      const row = matched.get(migration)
      if (row) return { migration, state: 'applied', appliedAt: row.appliedAt }
      const when = BigInt(recordOf(migration, 'drizzle').createdAt)
      const missing = v1 ? i < lastApplied : newest !== null && when <= newest
      return { migration, state: missing ? 'missing' : 'pending' }
    })
    const last = set.migrations[lastApplied]
    return {
      entries,
      unknown: unmatched.map((r) => ({ version: r.name ?? r.version, appliedAt: r.appliedAt })),
      currentVersion: last ? last.version : null,
      dirty: false,
    }
  },

  checkUp(set, state) {
    const columns = state.location.columns
    if (isV1(set) && columns !== null && !columns.has('name')) {
      throw new PgtestbedError(
        'VERSION_TABLE_CONFLICT',
        `${state.location.display} was written by drizzle-orm 0.x (it has no name column), but ${set.dir} uses the drizzle v1 folder-per-migration layout`,
        {
          fix: 'run drizzle-kit migrate from drizzle v1 once, which upgrades the table, then run pgtestbed again',
        },
      )
    }
  },

  missingPolicy: (set) => (isV1(set) ? 'apply' : 'refuse'),

  missingError(set, missing, _classification, state) {
    const newest = state.rows.reduce(
      (max, r) => (r.version !== '' && BigInt(r.version) > max ? BigInt(r.version) : max),
      0n,
    )
    const list = missing
      .map((m) => `\n\t${m.version} (when ${recordOf(m, 'drizzle').createdAt})`)
      .join('')
    const many = missing.length > 1
    return new PgtestbedError(
      'VERSION_TABLE_CONFLICT',
      `found ${missing.length} journal entr${many ? 'ies' : 'y'} in ${set.dir}/meta/_journal.json that ${many ? 'were' : 'was'} never applied but ${many ? 'are' : 'is'} dated at or before the newest migration in ${state.location.display} (created_at ${newest}); drizzle-orm's migrator would skip ${many ? 'them' : 'it'} silently and forever:${list}`,
      {
        fix: `regenerate ${many ? 'them' : 'it'} so the journal "when" is newer than ${newest} (drizzle-kit generate), or apply ${many ? 'them' : 'it'} out of order with allowMissing: true`,
      },
    )
  },

  rollbackOrder(set, state) {
    const { matched } = matchRows(set, state.rows)
    const byRow = new Map<VersionRow, Migration>([...matched].map(([m, r]) => [r, m]))
    return [...state.rows].reverse().map((row) => {
      const migration = byRow.get(row)
      if (migration) return migration
      return {
        noFile: true as const,
        version: row.name ?? row.version,
        error: new PgtestbedError(
          'VERSION_TABLE_CONFLICT',
          `cannot roll back: row ${row.id} of ${state.location.display} (created_at ${row.version}, hash ${row.hash}) matches no migration in ${set.dir}`,
          {
            fix: `restore the migration it came from, or delete row ${row.id} from ${state.location.display} if it was removed on purpose`,
          },
        ),
      }
    })
  },

  upBookkeeping(location, migration) {
    const record = recordOf(migration, 'drizzle')
    const name = record.name === undefined ? '' : ', "name"'
    const nameValue = record.name === undefined ? '' : `, ${quoteLiteral(record.name)}`
    return {
      record: `insert into ${location.sql} ("hash", "created_at"${name}) values(${quoteLiteral(record.hash)}, ${record.createdAt}${nameValue})`,
    }
  },

  downBookkeeping(location, migration) {
    const record = recordOf(migration, 'drizzle')
    const where =
      record.name === undefined
        ? `created_at = ${record.createdAt}`
        : `name = ${quoteLiteral(record.name)}`
    return { record: `delete from ${location.sql} where ${where}` }
  },

  transactional: (section) => section.transaction,
  // drizzle-orm's migrate() opens one transaction for all pending migrations.
  oneTransactionPerRun: true,
  withoutDown: 'refuse',
}

/** The v1 layout records folder names. */
function isV1(set: MigrationSet): boolean {
  return (
    set.layout === 'folders' ||
    set.migrations.some((m) => m.record.format === 'drizzle' && m.record.name !== undefined)
  )
}

/**
 * Pairs migrations with rows: by folder name (v1), else by `created_at` = journal `when`, else by
 * hash (an entry whose file was edited after it ran still has its `when`; one whose `when` was
 * regenerated still has its hash). Each row is used once.
 */
function matchRows(
  set: MigrationSet,
  rows: readonly VersionRow[],
): { matched: Map<Migration, VersionRow>; unmatched: VersionRow[] } {
  const free = new Set(rows)
  const matched = new Map<Migration, VersionRow>()
  const take = (migration: Migration, test: (row: VersionRow) => boolean): boolean => {
    for (const row of free) {
      if (!test(row)) continue
      free.delete(row)
      matched.set(migration, row)
      return true
    }
    return false
  }
  const records = set.migrations.map((m) => [m, recordOf(m, 'drizzle')] as const)
  const unnamed = (row: VersionRow) => row.name === undefined || row.name === null
  // One pass per rule, so a weaker rule never steals a row a stronger one would pair.
  const rules: ((r: (typeof records)[number][1]) => (row: VersionRow) => boolean)[] = [
    (r) => (row) => r.name !== undefined && row.name === r.name,
    (r) => (row) => unnamed(row) && row.version === String(r.createdAt),
    (r) => (row) => unnamed(row) && row.hash === r.hash,
  ]
  for (const rule of rules) {
    for (const [m, r] of records) if (!matched.has(m)) take(m, rule(r))
  }
  return { matched, unmatched: [...free] }
}
