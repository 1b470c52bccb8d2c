import { crc32 } from 'node:zlib'
import type pg from 'pg'
import { PgtestbedError } from '../errors.js'
import { serverAddress } from '../internal/pg-connect.js'
import { sleep } from '../internal/process-info.js'
import type { MigrationSet } from '../migrations/types.js'

/** goose's session locker id (`lock.NewPostgresSessionLocker`: crc64 of "goose"). */
const GOOSE_LOCK_ID = 4097083626n
/** Prisma Migrate's advisory lock (`SELECT pg_advisory_lock(72707369)` in the schema engine). */
const PRISMA_LOCK_ID = 72707369n
/** node-pg-migrate's advisory lock (`PG_MIGRATE_LOCK_ID` in its runner). */
const NODE_PG_MIGRATE_LOCK_ID = 7241865325823964n

/** How long `up` and `down` wait for another run before giving up. Default: 5 minutes. */
const DEFAULT_MIGRATE_LOCK_TIMEOUT_MS = 5 * 60_000

/**
 * The session advisory-lock id a run takes on the database, chosen so that pgtestbed excludes
 * other pgtestbed runs AND the tool itself where the tool locks: goose's Provider locker id, and
 * golang-migrate's `uint32(crc32(schema \0 table \0 database)) * 1486364155` (the database as the
 * migrate CLI sees it in a URL: the path, with its leading `/`), Prisma's and node-pg-migrate's
 * fixed ids. dbmate and drizzle do not lock, so their id is pgtestbed's own, from the table name.
 *
 * @example
 * migrationLockId(gooseSet, 'public', url) // 4097083626n
 */
export function migrationLockId(set: MigrationSet, schema: string, url: string): bigint {
  const table = set.versionTable.table
  if (set.format === 'goose') return GOOSE_LOCK_ID
  if (set.format === 'prisma') return PRISMA_LOCK_ID
  if (set.format === 'node-pg-migrate') return NODE_PG_MIGRATE_LOCK_ID
  if (set.format === 'golang-migrate') {
    const database = `/${serverAddress(url).database ?? ''}`
    return BigInt(Math.imul(crc32(`${schema}\0${table}\0${database}`), 1486364155) >>> 0)
  }
  // Negative ids cannot collide with the tools' (all positive); 31 bits keep it in int8 range.
  return -BigInt(crc32(`pgtestbed\0${set.format}\0${schema}\0${table}`) >>> 1) - 1n
}

interface Holder {
  pid: number
  application_name: string
  client_addr: string | null
  state: string | null
}

/**
 * Takes the run's advisory lock on `client`'s session (released when the connection closes),
 * polling with `pg_try_advisory_lock` so a run that waits says once who it waits for, and gives
 * up after `timeoutMs` naming the holder instead of blocking forever.
 *
 * @throws PgtestbedError VERSION_TABLE_CONFLICT when another session holds it past the timeout.
 */
export async function acquireMigrationLock(
  client: pg.ClientBase,
  set: MigrationSet,
  url: string,
  options: { timeoutMs?: number; onWait?: (holder: string) => void } = {},
): Promise<void> {
  const { rows } = await client.query<{ schema: string }>(
    'SELECT coalesce($1::text, current_schema()) AS schema',
    [set.versionTable.schema ?? null],
  )
  const id = migrationLockId(set, rows[0]?.schema ?? 'public', url).toString()
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_MIGRATE_LOCK_TIMEOUT_MS)
  let told = false
  for (;;) {
    const got = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS ok',
      [id],
    )
    if (got.rows[0]?.ok) return
    const holder = await describeHolder(client, id)
    if (!told) {
      options.onWait?.(holder)
      told = true
    }
    if (Date.now() > deadline) {
      throw new PgtestbedError(
        'VERSION_TABLE_CONFLICT',
        `another migration run still holds the ${set.format} migration lock (advisory lock ${id}) on this database: ${holder}`,
        {
          fix: 'wait for that run to finish, or end it (SELECT pg_terminate_backend(<pid>)) if it is stuck, then run again',
        },
      )
    }
    await sleep(500)
  }
}

async function describeHolder(client: pg.ClientBase, id: string): Promise<string> {
  // An int8 advisory lock is stored as two 32-bit halves: classid = high, objid = low.
  const { rows } = await client.query<Holder>(
    `SELECT a.pid, a.application_name, a.client_addr::text, a.state
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.classid::bigint = (($1::bigint >> 32) & 4294967295)
        AND l.objid::bigint = ($1::bigint & 4294967295)
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [id],
  )
  const h = rows[0]
  if (!h) return 'a session that just let go of it'
  return `server pid ${h.pid}${h.application_name ? ` (${h.application_name})` : ''}${h.client_addr ? ` from ${h.client_addr}` : ''}, ${h.state ?? 'unknown state'}`
}
