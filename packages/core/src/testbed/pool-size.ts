import os from 'node:os'
import type { Reporter } from '../progress.js'
import type { ServerStorage } from '../servers/embedded/storage.js'
import { withAdminClient, type Queryable } from '../templates/admin.js'

/** The most clones the default pool keeps ready, however many workers the runner has. */
export const DEFAULT_POOL_MAX = 16

/**
 * The fewest clones the default pool keeps ready, however few workers the runner has. A file that
 * finds the pool empty copies the template itself while the refill copies it too: on a server
 * with fsync on, both then take about a second and the next file misses as well. Measured with
 * one Vitest worker, 40 files on PostgreSQL 15: a pool of 1 missed 23 of 80 claims (34.5 s), 4
 * missed 2 (21.3 s); a pool of 2 was no faster than 1.
 */
export const DEFAULT_POOL_MIN = 4

/** The most bytes the default pool's ready clones may take together (1 GiB). */
export const DEFAULT_POOL_MAX_BYTES = 1024 ** 3

/**
 * Free connections the default pool leaves to the test files' own sessions and to everyone else
 * on the server; the pool itself holds two (the refiller and its LISTEN).
 */
const CONNECTION_HEADROOM = 10
const POOL_CONNECTIONS = 2

/** What the server said about its room for a pool. */
export interface PoolBudget {
  /** Connections still free: `max_connections` minus reserved ones minus sessions open now. */
  freeConnections: number
  /** The template's size on disk (`pg_database_size`), what each ready clone costs. */
  templateBytes: number
  /** Bytes the ready clones may take together. */
  maxBytes: number
}

/**
 * The default pool size: one ready clone per worker (so the files that start together each find
 * one, and a file never waits for more than its own clone), at least {@link DEFAULT_POOL_MIN} and
 * at most {@link DEFAULT_POOL_MAX}, within the memory budget and leaving connections free; 0 when
 * the server has no room.
 *
 * @example
 * defaultPoolSize(8, { freeConnections: 90, templateBytes: 13e6, maxBytes: 2 ** 30 }) // 8
 */
export function defaultPoolSize(workers: number, budget: PoolBudget): number {
  const wanted = Math.min(Math.max(DEFAULT_POOL_MIN, Math.floor(workers)), DEFAULT_POOL_MAX)
  if (budget.freeConnections < POOL_CONNECTIONS + CONNECTION_HEADROOM) return 0
  const byMemory = Math.floor(budget.maxBytes / Math.max(1, budget.templateBytes))
  return Math.max(0, Math.min(wanted, byMemory))
}

/**
 * Reads the pool budget from the server: free connections, and the template's size against a
 * memory bound (for a server whose data is in memory, a quarter of the machine's free memory,
 * at most {@link DEFAULT_POOL_MAX_BYTES}; else that bound alone).
 */
async function readPoolBudget(
  client: Queryable,
  template: string,
  storage: ServerStorage,
): Promise<PoolBudget> {
  const { rows } = await client.query<{ free: number; bytes: string }>(
    `SELECT current_setting('max_connections')::int
            - current_setting('superuser_reserved_connections')::int
            - (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS free,
            pg_database_size($1)::text AS bytes`,
    [template],
  )
  const row = rows[0]
  const maxBytes =
    storage.medium === 'memory'
      ? Math.min(DEFAULT_POOL_MAX_BYTES, os.freemem() / 4)
      : DEFAULT_POOL_MAX_BYTES
  return {
    freeConnections: row?.free ?? 0,
    templateBytes: Number(row?.bytes ?? 0),
    maxBytes,
  }
}

/**
 * The pool size of a testbed: `pool` when given, else {@link defaultPoolSize} for `workers`
 * (default: the machine's available parallelism) against the server's budget. The pool is only
 * a speed-up: when the budget cannot be read, it is off and the run goes on (with a warning).
 */
export async function resolvePoolSize(input: {
  pool: number | undefined
  workers: number | undefined
  adminUrl: string
  template: string
  storage: ServerStorage
  reporter: Reporter
}): Promise<number> {
  if (input.pool !== undefined) return input.pool
  try {
    const budget = await withAdminClient(input.adminUrl, (client) =>
      readPoolBudget(client, input.template, input.storage),
    )
    return defaultPoolSize(input.workers ?? os.availableParallelism(), budget)
  } catch (error) {
    input.reporter.warn(
      `pool: could not read the server's room for a clone pool, so tests get direct clones: ${(error as Error).message}`,
    )
    return 0
  }
}
