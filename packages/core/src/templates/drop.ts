import { setTimeout as sleep } from 'node:timers/promises'
import { PgtestbedError } from '../errors.js'
import type { Queryable } from './admin.js'
import { databaseLockKey } from './naming.js'
import { assertOwned, parseRecord, type OwnershipRecord } from './ownership.js'
import { describePgError, quoteIdent } from './sql.js'

/** A session that was still connected to a database when pgtestbed dropped it. */
export interface LeakedConnection {
  pid: number
  /** `application_name` of the session: set one per test file to see who leaked it. */
  applicationName: string
  /** Client address, or `null` for a Unix socket. */
  clientAddress: string | null
  /** `active`, `idle`, `idle in transaction`… */
  state: string | null
  /** The session's last query (trimmed to 200 characters). */
  lastQuery: string
  /** When the session connected. */
  since: Date | null
}

/**
 * What {@link dropDatabase} did (also returned by `ClonedDatabase.drop()`).
 *
 * @example
 * const { leakedConnections } = await db.drop()
 * if (leakedConnections.length) console.warn(`${file} left connections open:\n${formatLeakedConnections(leakedConnections)}`)
 */
export interface DropResult {
  name: string
  /** False when the database did not exist (already dropped). */
  dropped: boolean
  /**
   * Sessions that were still connected and were terminated by the drop, oldest first. Non-empty
   * means the test code did not close its connections (a pool left open, a client never ended).
   */
  leakedConnections: LeakedConnection[]
  /** The record the database carried. */
  record: OwnershipRecord | undefined
}

interface DropRow {
  datname: string | null
  comment: string | null
  datistemplate: boolean
  datallowconn: boolean
  /** `datconnlimit = -2`: a DROP DATABASE is under way or was interrupted (PostgreSQL 15.4+). */
  invalid: boolean
  server_version: number
  sessions: Array<{
    pid: number
    application_name: string | null
    client_addr: string | null
    state: string | null
    query: string | null
    backend_start: string | null
  }>
}

/** How long a drop waits for another pgtestbed process dropping the same database. */
const DROP_LOCK_TIMEOUT_MS = 30_000

const ROW_SQL = `SELECT d.datname, shobj_description(d.oid, 'pg_database') AS comment,
       coalesce(d.datistemplate, false) AS datistemplate, coalesce(d.datallowconn, false) AS datallowconn,
       coalesce(d.datconnlimit = -2, false) AS invalid,
       current_setting('server_version_num')::int AS server_version,
       COALESCE((SELECT json_agg(json_build_object(
                   'pid', a.pid, 'application_name', a.application_name,
                   'client_addr', a.client_addr::text, 'state', a.state,
                   'query', left(a.query, 200), 'backend_start', a.backend_start)
                   ORDER BY a.backend_start, a.pid)
                   FROM pg_stat_activity a
                  WHERE a.datid = d.oid AND a.pid <> pg_backend_pid()), '[]') AS sessions
  FROM (SELECT 1) AS one LEFT JOIN pg_database d ON d.datname = $1`

/**
 * Takes the drop lock of `name` (polling, like the template lock). Two sweepers dropping the same
 * leftover at once would otherwise race: the loser's `ALTER DATABASE` on a database the winner is
 * dropping fails with a FATAL error ("cannot alter invalid database") that ends its session.
 */
async function lockForDrop(client: Queryable, key: string): Promise<void> {
  const started = Date.now()
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS locked',
      [key],
    )
    if (rows[0]?.locked) return
    if (Date.now() - started > DROP_LOCK_TIMEOUT_MS) {
      throw new Error('another process has been dropping this database for 30 s')
    }
    await sleep(20)
  }
}

/**
 * Drops a database pgtestbed created, after checking it carries both the `pgtestbed_` prefix and
 * a valid ownership record. Before forcing the drop it reads `pg_stat_activity` for that database
 * and returns who was still connected, so callers can name the test file that leaked connections.
 * Uses `DROP DATABASE … WITH (FORCE)` on PostgreSQL 13+ (terminate, then drop, before). Safe
 * when several processes drop the same database at once (one drops it, the others find it gone).
 *
 * @example
 * const { leakedConnections } = await dropDatabase(admin, 'pgtestbed_c_ab12…')
 * @throws PgtestbedError NOT_OWNED for a database pgtestbed did not create; DROP_FAILED.
 */
export async function dropDatabase(client: Queryable, name: string): Promise<DropResult> {
  const key = databaseLockKey(name)
  try {
    await lockForDrop(client, key)
  } catch (error) {
    throw new PgtestbedError(
      'DROP_FAILED',
      `could not drop database "${name}": ${describePgError(error)}`,
      {
        cause: error,
        fix: 'Run `pgtestbed gc` later to retry, or drop it by hand.',
      },
    )
  }
  try {
    const row = (await client.query<DropRow>(ROW_SQL, [name])).rows[0]
    if (!row?.datname) return { name, dropped: false, leakedConnections: [], record: undefined }
    const entry = {
      name: row.datname,
      record: parseRecord(row.comment),
      isTemplate: row.datistemplate,
      allowConnections: row.datallowconn,
    }
    assertOwned(entry)
    const leakedConnections = row.sessions.map((s): LeakedConnection => ({
      pid: s.pid,
      applicationName: s.application_name ?? '',
      clientAddress: s.client_addr,
      state: s.state,
      lastQuery: s.query ?? '',
      since: s.backend_start ? new Date(s.backend_start) : null,
    }))
    try {
      await forceDrop(client, name, row)
    } catch (error) {
      throw new PgtestbedError(
        'DROP_FAILED',
        `could not drop database "${name}": ${describePgError(error)}`,
        { cause: error, fix: 'Run `pgtestbed gc` later to retry, or drop it by hand.' },
      )
    }
    return { name, dropped: true, leakedConnections, record: entry.record }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {})
  }
}

async function forceDrop(client: Queryable, name: string, row: DropRow): Promise<void> {
  const quoted = quoteIdent(name)
  // A template cannot be dropped (42809) until it is an ordinary database again. An invalid
  // database (a drop under way or interrupted) must not be altered: PostgreSQL answers FATAL.
  if (row.datistemplate && !row.invalid) {
    await client.query(`ALTER DATABASE ${quoted} IS_TEMPLATE false`)
  }
  if (row.server_version >= 130000) {
    await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`)
  } else {
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    )
    await client.query(`DROP DATABASE IF EXISTS ${quoted}`)
  }
}

/**
 * One line per leaked session, for messages: `pid 123 "users.test.ts" idle since … last query: …`.
 *
 * @example
 * if (result.leakedConnections.length) console.warn(formatLeakedConnections(result.leakedConnections))
 */
export function formatLeakedConnections(connections: readonly LeakedConnection[]): string {
  return connections
    .map((c) => {
      const from = c.clientAddress ? ` from ${c.clientAddress}` : ''
      const since = c.since ? ` connected since ${c.since.toISOString()}` : ''
      const query = c.lastQuery ? ` last query: ${c.lastQuery.replace(/\s+/g, ' ').trim()}` : ''
      return `pid ${c.pid} "${c.applicationName}"${from} ${c.state ?? 'unknown state'}${since}${query}`
    })
    .join('\n')
}
