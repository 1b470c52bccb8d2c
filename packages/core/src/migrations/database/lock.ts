/**
 * The migration lock: one run at a time applies or rolls back migrations on a database.
 *
 * It is a session advisory lock, taken with the tool's own id where the tool locks (goose,
 * golang-migrate, Prisma, node-pg-migrate: see each version-table driver's `lockId`), so a
 * pgtestbed run also excludes the tool itself. Replicas of a migrate job (Job parallelism, a
 * rolling deploy, two CI jobs on one database) queue on it: the first applies, the others find
 * nothing left to do. Waits poll with `pg_try_advisory_lock` so they are bounded and can say who
 * holds the lock, instead of blocking forever.
 */
import { crc32 } from 'node:zlib'
import type pg from 'pg'
import { PgtestbedError } from '../../errors.js'
import { sleep } from '../../internal/process-info.js'
import type { MigrationSet } from '../types.js'
import { versionTableDriver } from './version-tables/index.js'

/** Default {@link MigrationLockOptions.timeoutMs}: 5 minutes. */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 5 * 60_000

/** How long to sleep between two tries of a lock another session holds. */
const POLL_MS = 500

/** Options of {@link acquireMigrationLock} (and `applyMigrations`' `lock`). */
export interface MigrationLockOptions {
  /**
   * How long to wait for another run to let go before failing with `MIGRATION_LOCK_TIMEOUT`.
   * Default: {@link DEFAULT_MIGRATION_LOCK_TIMEOUT_MS} (5 minutes).
   */
  timeoutMs?: number
  /** Called once when the lock is taken by someone else, with who holds it. Default: none. */
  onWait?: (holder: string) => void
}

/** A migration lock this session holds; `release()` lets go of it. */
export interface MigrationLock {
  /** The advisory-lock id, as PostgreSQL's `bigint`. */
  readonly id: bigint
  /** True when another run held the lock first and this one waited for it. */
  readonly waited: boolean
  release(): Promise<void>
}

/**
 * The session advisory-lock id of a run on this schema and database: the tool's own where the
 * tool locks, else pgtestbed's (negative, so it cannot collide with the tools' positive ids; 31
 * bits keep it in `bigint` range), from the format and the version table.
 *
 * @example
 * migrationLockId(gooseSet, 'public', 'app') // 4097083626n
 */
export function migrationLockId(set: MigrationSet, schema: string, database: string): bigint {
  const own = versionTableDriver(set.format).lockId?.(set, schema, database)
  if (own !== undefined) return own
  return -BigInt(crc32(`pgtestbed\0${set.format}\0${schema}\0${set.versionTable.table}`) >>> 1) - 1n
}

/**
 * Takes the migration lock on `client`'s session (it goes away with the connection, or with
 * `release()`), waiting at most `timeoutMs` for another run that holds it.
 *
 * @throws PgtestbedError `MIGRATION_LOCK_TIMEOUT` naming the holder (server pid, application
 * name, client address) when it still holds the lock after the timeout.
 * @example
 * const lock = await acquireMigrationLock(client, set, { timeoutMs: 60_000 })
 * try { … } finally { await lock.release() }
 */
export async function acquireMigrationLock(
  client: pg.ClientBase,
  set: MigrationSet,
  options: MigrationLockOptions = {},
): Promise<MigrationLock> {
  const { rows } = await client.query<{ schema: string; database: string }>(
    'SELECT coalesce($1::text, current_schema()) AS schema, current_database() AS database',
    [set.versionTable.schema ?? null],
  )
  const id = migrationLockId(set, rows[0]?.schema ?? 'public', rows[0]?.database ?? '')
  const timeoutMs = options.timeoutMs ?? DEFAULT_MIGRATION_LOCK_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  let waited = false
  for (;;) {
    const got = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS ok',
      [id.toString()],
    )
    if (got.rows[0]?.ok) break
    const holder = await describeHolder(client, id)
    if (!waited) options.onWait?.(holder)
    waited = true
    if (Date.now() > deadline) {
      throw new PgtestbedError(
        'MIGRATION_LOCK_TIMEOUT',
        `another migration run still holds the ${set.format} migration lock (advisory lock ${id}) on this database after ${Math.round(timeoutMs / 1000)} s: ${holder}`,
        {
          fix: 'wait for that run to finish (or allow more time: --lock-timeout), or end it (SELECT pg_terminate_backend(<pid>)) if it is stuck, then run again',
        },
      )
    }
    await sleep(POLL_MS)
  }
  return {
    id,
    waited,
    release: async () => {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [id.toString()])
    },
  }
}

interface Holder {
  pid: number
  application_name: string
  client_addr: string | null
  state: string | null
}

async function describeHolder(client: pg.ClientBase, id: bigint): Promise<string> {
  // An int8 advisory lock is stored as two 32-bit halves: classid = high, objid = low.
  const { rows } = await client.query<Holder>(
    `SELECT a.pid, a.application_name, a.client_addr::text, a.state
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = (($1::bigint >> 32) & 4294967295)
        AND l.objid::bigint = ($1::bigint & 4294967295)
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [id.toString()],
  )
  const h = rows[0]
  if (!h) return 'a session that just let go of it'
  return `server pid ${h.pid}${h.application_name ? ` (${h.application_name})` : ''}${h.client_addr ? ` from ${h.client_addr}` : ''}, ${h.state ?? 'unknown state'}`
}
