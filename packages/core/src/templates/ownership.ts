/**
 * Ownership records: how pgtestbed recognises the databases it created.
 *
 * Every database pgtestbed creates carries a record in its shared-catalog comment:
 *
 * ```sql
 * COMMENT ON DATABASE "pgtestbed_c_ab12cd34ef56_0123456789abcdef" IS
 *   'pgtestbed:{"v":1,"kind":"clone","project":"5d41402abc4b2a76","template":"pgtestbed_tpl_…",
 *               "host":"ci-7","pidNs":"pid:[4026531836]","pid":4242,
 *               "createdAt":"2025-01-31T12:00:00.000Z","label":"test/users.test.ts"}'
 * ```
 *
 * The comment is `pgtestbed:` followed by one JSON object:
 *
 * | field         | meaning                                                                         |
 * |---------------|---------------------------------------------------------------------------------|
 * | `v`           | record format version, `1`                                                      |
 * | `kind`        | `template` · `build` · `clone` · `pool` · `scratch`                             |
 * | `project`     | project key: hash of the migrations folder path (templates are kept per project) |
 * | `fingerprint` | template/build: the full SHA-256 fingerprint                                    |
 * | `complete`    | template: `true` once every migration, seed and check succeeded                 |
 * | `template`    | clone/pool/scratch: the template it was cloned from                             |
 * | `host`, `pidNs`, `pid`, `pidStart` | the process that created it (hostname, Linux pid namespace, pid, start time) |
 * | `createdAt`   | ISO time of creation; `usedAt`: template, last reuse                            |
 * | `label`       | clone: who asked for it (the test file)                                         |
 * | `kept`, `keptAt` | clone kept for debugging (after a failed test) and when                      |
 * | `released`    | clone its test file is done with, left for the run's pool to drop (`releaseToPool`) |
 *
 * Comments live in `pg_shdescription`, keyed by the database's oid: `ALTER DATABASE … RENAME`
 * keeps them, `CREATE DATABASE … TEMPLATE` does not copy them (each clone gets its own).
 * pgtestbed drops a database only when its name starts with `pgtestbed_` AND it carries a valid
 * record; a user database that merely shares the prefix is never touched (`NOT_OWNED`).
 * @module
 */
import { PgtestbedError } from '../errors.js'
import { processStartTime } from '../internal/process-info.js'
import { hostIdentity } from './host.js'
import { DATABASE_PREFIX, KIND_PREFIXES, likePrefix, type DatabaseKind } from './naming.js'
import { quoteIdent, quoteLiteral } from './sql.js'
import type { Queryable } from './admin.js'

/** The comment of a database pgtestbed owns starts with this. */
const RECORD_PREFIX = 'pgtestbed:'

const KINDS: readonly DatabaseKind[] = ['template', 'build', 'clone', 'pool', 'scratch']

/** The JSON object in an ownership record (see the module documentation for the format). */
export interface OwnershipRecord {
  v: 1
  kind: DatabaseKind
  project: string
  fingerprint?: string
  complete?: boolean
  template?: string
  host: string
  pidNs?: string
  pid: number
  /** When the owning process started (Linux: clock ticks since boot), so a recycled pid is not taken for it. */
  pidStart?: string
  createdAt: string
  usedAt?: string
  label?: string
  kept?: boolean
  keptAt?: string
  /** A clone its test file is done with: the run's pool (or the next sweep) drops it. */
  released?: boolean
}

/** Fields a caller supplies for a new record; host, pid and time are filled in. */
export type NewRecordFields = Omit<
  OwnershipRecord,
  'v' | 'host' | 'pidNs' | 'pid' | 'pidStart' | 'createdAt'
>

/**
 * A record for a database this process is creating now.
 *
 * @example
 * newRecord({ kind: 'clone', project, template: 'pgtestbed_tpl_…', label: 'users.test.ts' })
 */
export function newRecord(fields: NewRecordFields): OwnershipRecord {
  const me = hostIdentity()
  const record: OwnershipRecord = {
    v: 1,
    ...fields,
    host: me.host,
    pid: process.pid,
    createdAt: new Date().toISOString(),
  }
  if (me.pidNamespace) record.pidNs = me.pidNamespace
  const started = processStartTime(process.pid)
  if (started !== undefined) record.pidStart = started
  return record
}

/** The comment text for a record. */
export function encodeRecord(record: OwnershipRecord): string {
  return RECORD_PREFIX + JSON.stringify(record)
}

const isString = (value: unknown): value is string => typeof value === 'string'
const optional = (value: unknown, check: (v: unknown) => boolean) =>
  value === undefined || check(value)

/**
 * Parses a database comment; `undefined` unless it is a complete, well-formed record.
 *
 * @example
 * parseRecord(`pgtestbed:{"v":1,"kind":"clone",…}`)?.kind // 'clone'
 */
export function parseRecord(comment: string | null | undefined): OwnershipRecord | undefined {
  if (!comment?.startsWith(RECORD_PREFIX)) return undefined
  let value: unknown
  try {
    value = JSON.parse(comment.slice(RECORD_PREFIX.length))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const r = value as Record<string, unknown>
  const valid =
    r.v === 1 &&
    KINDS.includes(r.kind as DatabaseKind) &&
    isString(r.project) &&
    isString(r.host) &&
    typeof r.pid === 'number' &&
    isString(r.createdAt) &&
    !Number.isNaN(Date.parse(r.createdAt)) &&
    optional(r.fingerprint, isString) &&
    optional(r.template, isString) &&
    optional(r.label, isString) &&
    optional(r.pidNs, isString) &&
    optional(r.pidStart, isString) &&
    optional(r.usedAt, isString) &&
    optional(r.keptAt, isString) &&
    optional(r.complete, (v) => typeof v === 'boolean') &&
    optional(r.kept, (v) => typeof v === 'boolean') &&
    optional(r.released, (v) => typeof v === 'boolean')
  return valid ? (r as unknown as OwnershipRecord) : undefined
}

/** A database on the server whose name starts with `pgtestbed_`, with its record if valid. */
export interface DatabaseEntry {
  name: string
  /** The parsed ownership record, or `undefined` when the comment is missing or not ours. */
  record: OwnershipRecord | undefined
  /** The comment exactly as stored (absent on hand-made entries). */
  comment?: string | null
  /** `datconnlimit` (absent on hand-made entries); see `isUnrecordedCreation`. */
  connectionLimit?: number
  isTemplate: boolean
  allowConnections: boolean
}

interface EntryRow {
  datname: string
  comment: string | null
  datistemplate: boolean
  datallowconn: boolean
  datconnlimit: number
}

const ENTRY_COLUMNS = `datname, shobj_description(oid, 'pg_database') AS comment, datistemplate, datallowconn, datconnlimit`

function toEntry(row: EntryRow): DatabaseEntry {
  return {
    name: row.datname,
    record: parseRecord(row.comment),
    comment: row.comment,
    connectionLimit: row.datconnlimit,
    isTemplate: row.datistemplate,
    allowConnections: row.datallowconn,
  }
}

/** Every database whose name starts with `pgtestbed_` (owned or not), sorted by name. */
export async function listDatabases(
  client: Queryable,
  namePrefix: string = DATABASE_PREFIX,
): Promise<DatabaseEntry[]> {
  const { rows } = await client.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM pg_database WHERE datname LIKE $1 ORDER BY datname`,
    [likePrefix(namePrefix)],
  )
  return rows.map(toEntry)
}

/** One database by name, or `undefined` when it does not exist. */
export async function readDatabase(
  client: Queryable,
  name: string,
): Promise<DatabaseEntry | undefined> {
  const { rows } = await client.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM pg_database WHERE datname = $1`,
    [name],
  )
  return rows[0] ? toEntry(rows[0]) : undefined
}

/** The name prefixes a record of each kind may sit under (a sealed template before its rename). */
const PREFIXES_OF_KIND: Readonly<Record<DatabaseKind, readonly string[]>> = {
  template: [KIND_PREFIXES.template, KIND_PREFIXES.build],
  build: [KIND_PREFIXES.build],
  clone: [KIND_PREFIXES.clone],
  pool: [KIND_PREFIXES.pool],
  scratch: [KIND_PREFIXES.scratch],
}

/** Why a database is or is not ours, from {@link checkOwnership}. */
export type Ownership = { owned: true; record: OwnershipRecord } | { owned: false; why: string }

/**
 * The one ownership check every path that claims, renames, keeps or drops a database goes
 * through. A database is pgtestbed's only when all of these hold:
 * - its name starts with `pgtestbed_` and with the prefix of the record's kind
 *   (`pgtestbed_c_` for a clone, `pgtestbed_p_` for a pool database, …);
 * - its comment is `pgtestbed:` followed by one JSON object that parses as a complete record
 *   (every required field, each of the right type, see {@link parseRecord});
 * - the fields its kind needs are there: `template` for clones and pool databases,
 *   `fingerprint` for builds and templates.
 * A comment that merely starts with `pgtestbed:` or contains a template's name is not enough.
 *
 * @example
 * const verdict = checkOwnership(entry)
 * if (!verdict.owned) console.log(`left alone: ${verdict.why}`)
 */
export function checkOwnership(entry: Pick<DatabaseEntry, 'name' | 'record'>): Ownership {
  if (!entry.name.startsWith(DATABASE_PREFIX)) {
    return { owned: false, why: `its name does not start with "${DATABASE_PREFIX}"` }
  }
  const record = entry.record
  if (!record) {
    return {
      owned: false,
      why: 'it has no pgtestbed ownership record (its COMMENT is not a pgtestbed record)',
    }
  }
  if (!PREFIXES_OF_KIND[record.kind].some((prefix) => entry.name.startsWith(prefix))) {
    return {
      owned: false,
      why: `its record says kind "${record.kind}" but its name does not start with ${PREFIXES_OF_KIND[record.kind].join(' or ')}`,
    }
  }
  const needs: Array<keyof OwnershipRecord> =
    record.kind === 'clone' || record.kind === 'pool'
      ? ['template']
      : record.kind === 'build' || record.kind === 'template'
        ? ['fingerprint']
        : []
  const missing = needs.filter((field) => record[field] === undefined)
  if (missing.length > 0) {
    return {
      owned: false,
      why: `its ${record.kind} record lacks ${missing.map((f) => `"${f}"`).join(', ')}`,
    }
  }
  return { owned: true, record }
}

/** True when pgtestbed may claim, keep or drop this database (see {@link checkOwnership}). */
export function isOwned(
  entry: DatabaseEntry,
): entry is DatabaseEntry & { record: OwnershipRecord } {
  return checkOwnership(entry).owned
}

/**
 * Throws `NOT_OWNED` unless {@link checkOwnership} accepts the database.
 *
 * @throws PgtestbedError NOT_OWNED
 */
export function assertOwned(
  entry: DatabaseEntry,
): asserts entry is DatabaseEntry & { record: OwnershipRecord } {
  const verdict = checkOwnership(entry)
  if (verdict.owned) return
  throw new PgtestbedError(
    'NOT_OWNED',
    `pgtestbed refuses to touch database "${entry.name}": ${verdict.why}, so pgtestbed did not create it.`,
    {
      fix: `If it really is a leftover, drop it yourself: DROP DATABASE ${quoteIdent(entry.name)}`,
    },
  )
}

/** Writes (replaces) the record of database `name`. */
export async function writeRecord(
  client: Queryable,
  name: string,
  record: OwnershipRecord,
): Promise<void> {
  await client.query(
    `COMMENT ON DATABASE ${quoteIdent(name)} IS ${quoteLiteral(encodeRecord(record))}`,
  )
}
