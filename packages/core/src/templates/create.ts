import { createHash } from 'node:crypto'
import { crashPoint } from '../internal/crash-points.js'
import type { Queryable } from './admin.js'
import { databaseLockKey, KIND_PREFIXES } from './naming.js'
import { writeRecord, type DatabaseEntry, type OwnershipRecord } from './ownership.js'
import { quoteIdent } from './sql.js'

/**
 * Creating a database so that no crash can leave one pgtestbed cannot recognise.
 *
 * `CREATE DATABASE` and the `COMMENT` that records ownership are two statements: a process killed
 * between them (or killed while CREATE DATABASE runs: the backend finishes it after the client is
 * gone) would leave a database with no record, which pgtestbed must never drop. So the database
 * is born recognisable:
 * 1. take a session advisory lock derived from the name (the same key the drop path takes);
 * 2. `CREATE DATABASE <name> … CONNECTION LIMIT <marker>`, where the marker is a number derived
 *    from the name (see {@link creationMarkerFor}); the name is fresh (64 random bits);
 * 3. `COMMENT ON DATABASE` with the ownership record;
 * 4. `ALTER DATABASE … CONNECTION LIMIT -1`, then unlock.
 * A database with one of pgtestbed's name prefixes, no comment and exactly its marker as
 * connection limit was created by pgtestbed; while its creator lives, the creator's session holds
 * the lock. Sweeps (and `pgtestbed gc`) drop such a database once that lock is free.
 * @module
 */

/** Options of {@link createOwnedDatabase}. */
export interface CreateOwnedOptions {
  /** The new database's name (fresh: it carries random bits). */
  name: string
  /** The database to copy (`template0` for an empty one, a template for a clone). */
  template: string
  /** `STRATEGY` (PostgreSQL 15+), or `null`/absent for the server's default. */
  strategy?: 'wal_log' | 'file_copy' | null
  /** Its ownership record. */
  record: OwnershipRecord
}

const MARKER_BASE = 1_000_000
const MARKER_RANGE = 1_000_000_000

/**
 * The connection limit a database carries between its creation and its ownership record: a
 * number from 1,000,000 to 1,000,999,999 derived from its name. No one sets such a limit by
 * chance on a database with one of pgtestbed's name prefixes.
 *
 * @example
 * creationMarkerFor('pgtestbed_c_ab12cd34ef56_0123456789abcdef') // e.g. 537_204_118
 */
function creationMarkerFor(name: string): number {
  const digest = createHash('sha256').update(`pgtestbed.creation-marker:${name}`).digest()
  return MARKER_BASE + (digest.readUInt32BE(0) % MARKER_RANGE)
}

/**
 * True for a database pgtestbed began to create but whose record never came: a kind prefix, no
 * comment, and the name's creation marker as connection limit.
 */
export function isUnrecordedCreation(
  entry: Pick<DatabaseEntry, 'name' | 'comment' | 'connectionLimit'>,
): boolean {
  return (
    Object.values(KIND_PREFIXES).some((prefix) => entry.name.startsWith(prefix)) &&
    (entry.comment === null || entry.comment === undefined) &&
    entry.connectionLimit === creationMarkerFor(entry.name)
  )
}

/**
 * Creates database `options.name` as a copy of `options.template` with its ownership record, so
 * that a crash at any point leaves either nothing or a database pgtestbed recognises (see the
 * module documentation). On a failure after the CREATE it drops the database again.
 *
 * @example
 * await createOwnedDatabase(admin, { name, template: 'template0', record: newRecord({ kind: 'scratch', project }) })
 */
export async function createOwnedDatabase(
  client: Queryable,
  options: CreateOwnedOptions,
): Promise<void> {
  const { name, record } = options
  const quoted = quoteIdent(name)
  const key = databaseLockKey(name)
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [key],
  )
  if (!rows[0]?.locked) throw new Error(`database name ${name} is in use by another process`)
  let created = false
  try {
    const strategy = options.strategy ? ` STRATEGY ${options.strategy}` : ''
    await client.query(
      `CREATE DATABASE ${quoted} TEMPLATE ${quoteIdent(options.template)}${strategy} CONNECTION LIMIT ${creationMarkerFor(name)}`,
    )
    created = true
    crashPoint('after-create', record.kind)
    await writeRecord(client, name, record)
    crashPoint('after-record', record.kind)
    await client.query(`ALTER DATABASE ${quoted} CONNECTION LIMIT -1`)
  } catch (error) {
    // We just created it (under our lock, with a fresh name): drop it again.
    if (created)
      await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`).catch(() => {})
    throw error
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {})
  }
}

/**
 * Drops a database left by a creator that crashed before writing its record, when that is still
 * what it is: its creator's lock is free (the creator's session is gone) and it still carries no
 * comment and its creation marker. Returns false, dropping nothing, otherwise.
 *
 * @example
 * if (isUnrecordedCreation(entry)) await dropUnrecordedCreation(admin, entry.name)
 */
export async function dropUnrecordedCreation(client: Queryable, name: string): Promise<boolean> {
  const key = databaseLockKey(name)
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [key],
  )
  if (!rows[0]?.locked) return false
  try {
    const current = await client.query<{ comment: string | null; limit: number }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment, datconnlimit AS limit
         FROM pg_database WHERE datname = $1`,
      [name],
    )
    const row = current.rows[0]
    if (!row || !isUnrecordedCreation({ name, comment: row.comment, connectionLimit: row.limit })) {
      return false
    }
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)
    return true
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {})
  }
}
