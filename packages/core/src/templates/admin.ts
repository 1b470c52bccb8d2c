import pg from 'pg'
import { PgtestbedError } from '../errors.js'
import { describePgError } from './sql.js'

export type { Queryable } from '../internal/queryable.js'

/** `host:port/database` of a URL, never its password (for messages). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`
  } catch {
    return '(unparsable URL)'
  }
}

/** An `application_name` for our sessions: says who we are in `pg_stat_activity` (≤ 63 bytes). */
function applicationName(role: string): string {
  return `pgtestbed ${role} pid=${process.pid}`.slice(0, 63)
}

/**
 * Connects a dedicated client. Connection failures become `SERVER_UNREACHABLE` naming
 * host:port/database (never the password).
 */
export async function connectClient(url: string, role: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName(role) })
  // A server that goes away while the client is idle must not crash the process.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => {})
    throw new PgtestbedError(
      'SERVER_UNREACHABLE',
      `cannot connect to PostgreSQL at ${describeUrl(url)}: ${describePgError(error)}`,
      { cause: error, fix: 'Check that the server is running and the URL is right.' },
    )
  }
  return client
}

const POOLS_KEY = Symbol.for('pgtestbed.templates.adminPools')
type PoolMap = Map<string, pg.Pool>

function pools(): PoolMap {
  const holder = globalThis as Record<symbol, PoolMap | undefined>
  return (holder[POOLS_KEY] ??= new Map())
}

/**
 * A small shared pool of maintenance-database connections for `url`, one per process (shared by
 * every copy of this module, since test runners may load it more than once). Idle connections
 * close after a few seconds and never keep the process alive.
 */
function adminPool(url: string): pg.Pool {
  const map = pools()
  let pool = map.get(url)
  if (!pool) {
    pool = new pg.Pool({
      connectionString: url,
      application_name: applicationName('admin'),
      max: 3,
      idleTimeoutMillis: 5_000,
      allowExitOnIdle: true,
    })
    // A server that goes away (restart, pg_terminate_backend) must not crash the process:
    // idle clients report through the pool, checked-out ones through their own listener.
    pool.on('error', () => {})
    pool.on('connect', (client) => client.on('error', () => {}))
    map.set(url, pool)
  }
  return pool
}

/** Runs `fn` with a client from {@link adminPool}; connection failures become `SERVER_UNREACHABLE`. */
export async function withAdminClient<T>(
  url: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient
  try {
    client = await adminPool(url).connect()
  } catch (error) {
    throw new PgtestbedError(
      'SERVER_UNREACHABLE',
      `cannot connect to PostgreSQL at ${describeUrl(url)}: ${describePgError(error)}`,
      { cause: error, fix: 'Check that the server is running and the URL is right.' },
    )
  }
  let broken = false
  try {
    return await fn(client)
  } catch (error) {
    // A connection-level failure leaves the client unusable: do not return it to the pool.
    broken =
      isConnectionError(error) || isConnectionError((error as { cause?: unknown } | null)?.cause)
    throw error
  } finally {
    client.release(broken)
  }
}

/** True for a broken connection (socket error, terminated by the server), not a failed query. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as NodeJS.ErrnoException).code
  // A FATAL error from the server ends the session (e.g. "cannot alter invalid database").
  if ((error as { severity?: unknown }).severity === 'FATAL') return true
  return (
    /^E[A-Z]+$/.test(code ?? '') ||
    code === '57P01' ||
    /Connection terminated|Client has encountered a connection error/.test(error.message)
  )
}

/** Closes the shared admin pool for `url` (or all of them). */
export async function closeAdminPools(url?: string): Promise<void> {
  const map = pools()
  const entries = url ? [...map.entries()].filter(([key]) => key === url) : [...map.entries()]
  for (const [key] of entries) map.delete(key)
  await Promise.all(entries.map(([, pool]) => pool.end().catch(() => {})))
}
