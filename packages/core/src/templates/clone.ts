import { PgtestbedError } from '../errors.js'
import type { ServerStorage } from '../servers/embedded/storage.js'
import { crashPoint } from '../internal/crash-points.js'
import { withDatabase } from '../internal/pg-connect.js'
import { serverLostError } from '../internal/server-lost.js'
import { withAdminClient, type Queryable } from './admin.js'
import { createOwnedDatabase } from './create.js'
import { dropDatabase, type DropResult } from './drop.js'
import { cloneNameFor } from './naming.js'
import {
  assertOwned,
  newRecord,
  readDatabase,
  writeRecord,
  type OwnershipRecord,
} from './ownership.js'
import { claimPooledDatabase } from './pool-claim.js'
import { releaseToPool } from './release.js'
import { describePgError, sqlState } from './sql.js'

/**
 * How `CREATE DATABASE … TEMPLATE` copies the template (PostgreSQL 15+):
 * - `'wal_log'`: block by block through the WAL (PostgreSQL's default since 15);
 * - `'file_copy'`: file by file, with a checkpoint before and after (the only way before 15);
 * - `'auto'`: the one measured faster for the server's storage (see {@link resolveCloneStrategy}).
 *
 * @example
 * await startTestbed({ cloneStrategy: 'file_copy' }) // a template with hundreds of MB of seed data
 */
export type CloneStrategy = 'auto' | 'wal_log' | 'file_copy'

/** Default of `cloneStrategy`. */
export const DEFAULT_CLONE_STRATEGY: CloneStrategy = 'auto'

/**
 * The strategy to put in `CREATE DATABASE`, or `null` on PostgreSQL ≤ 14 (no `STRATEGY` option).
 *
 * `'auto'` picks `file_copy` when the server's checkpoints cost nothing (data in memory, or
 * `fsync` off: every server pgtestbed starts), else `wal_log`. `file_copy` requests two
 * checkpoints per clone (and a drop one more); with `fsync` on each waits for the disk, and
 * concurrent clones queue behind them.
 *
 * Measured with `bench/src/clone.bench.mjs` (100-migration template: 13 MB, ~700 relations) on a
 * quiet 2-CPU VM, raw `CREATE DATABASE` p50 with 1 cloner | with 4 concurrent cloners (wall time
 * per clone):
 * - embedded PostgreSQL 17, data on a tmpfs: `file_copy` 30–33 ms | 52–66 ms (21–26 ms);
 *   `wal_log` 48–52 ms | 130–134 ms (43–46 ms). The forced checkpoints cost nothing there and
 *   do not serialise concurrent clones.
 * - embedded PostgreSQL 17, data on the VM's ext4 (fsync off): 100 ms to 1.1 s per clone, varying
 *   with the virtual disk (creating the ~1,000 files is the cost). Alone, each won about half of
 *   10 paired runs; with 4 cloners `file_copy` won 8 of 9 (e.g. 88 vs 177 ms p50, 38 vs 172 ms
 *   per clone), and its drops are cheaper (54–66 vs 77–109 ms).
 * - stock PostgreSQL 15, fsync on, same disk: alone `wal_log` ties or wins (232 vs 1,416 ms in
 *   the final run), `file_copy`'s drops take 130–180 vs 30 ms, and with 4 cloners `wal_log` wins
 *   clearly: p50 100–160 vs 370–460 ms, 70–120 vs 220–330 ms per clone.
 *
 * @example
 * resolveCloneStrategy('auto', 17, { medium: 'memory', fsync: false }) // 'file_copy'
 * resolveCloneStrategy('auto', 15, { medium: 'unknown', fsync: true }) // 'wal_log'
 * resolveCloneStrategy('auto', 14) // null
 */
export function resolveCloneStrategy(
  strategy: CloneStrategy,
  majorVersion: number,
  storage?: ServerStorage,
): 'wal_log' | 'file_copy' | null {
  if (majorVersion < 15) return null
  if (strategy !== 'auto') return strategy
  const cheapCheckpoints = storage?.medium === 'memory' || storage?.fsync === false
  return cheapCheckpoints ? 'file_copy' : 'wal_log'
}

/** The URL of database `name` on the server of `adminUrl` (same host, port, role, parameters). */
export function databaseUrl(adminUrl: string, name: string): string {
  return withDatabase(adminUrl, name)
}

/**
 * Everything needed to clone a template; JSON-serialisable, so test workers can receive it.
 * `TestbedInfo` carries these fields.
 */
export interface CloneSource {
  /** URL of the maintenance database (a role that may CREATE DATABASE). */
  adminUrl: string
  /** The template database to clone. */
  template: string
  /** Project key written into the clone's record. */
  project: string
  /** The server's major version. */
  majorVersion: number
  /** Resolved strategy (`null` on PostgreSQL ≤ 14). */
  cloneStrategy: 'wal_log' | 'file_copy' | null
  /** Try a pre-warmed pool database first. Default: `false`. */
  pool?: boolean
  /** The embedded server's log, named when the server is lost (`SERVER_LOST`). Default: none. */
  serverLog?: string
}

/** Options for {@link createClone}. */
export interface CloneOptions {
  /** Who the clone is for (the test file); stored in its record. Default: none. */
  label?: string
}

/**
 * A database cloned from the template for one test file. Dispose it (`await using`) or call
 * `drop()`; call `keep()` instead to leave it for debugging.
 *
 * @example
 * const db = await cloneDatabase(info, { label: file })
 * if (failed) console.log(`kept ${await db.keep()}`)
 * else await db.drop()
 */
export interface ClonedDatabase extends AsyncDisposable {
  /** The database name (`pgtestbed_c_…`). */
  readonly name: string
  /** Its connection URL. */
  readonly url: string
  /** The template it was cloned from. */
  readonly template: string
  /** True when it came from the pre-warmed pool. */
  readonly fromPool: boolean
  /**
   * Drops it (force: remaining sessions are terminated) and returns who was still connected.
   * A no-op returning `dropped: false` after `keep()`.
   */
  drop(): Promise<DropResult>
  /**
   * Leaves the drop to the clone pool of the testbed that made it (`info.pool`), which drops it
   * within a second, so the caller does not wait for `DROP DATABASE`. Returns false and changes
   * nothing when a session is still connected to it or it was kept: call `drop()` then. Without a
   * running pool a handed-off database waits for the next sweep (`pgtestbed gc`).
   */
  handOff(): Promise<boolean>
  /** Marks it kept (the sweeper leaves it for its own, longer TTL) and returns its URL. */
  keep(): Promise<string>
}

/**
 * Clones the template into a new database with a unique name (`pgtestbed_c_<hash>_<random>`):
 * takes one from the pool when `source.pool` is set and one is ready, else runs
 * `CREATE DATABASE … TEMPLATE … STRATEGY …` and writes its ownership record.
 *
 * @example
 * await using db = await createClone(info, { label: 'test/users.test.ts' })
 * process.env.DATABASE_URL = db.url
 * @throws PgtestbedError CLONE_FAILED
 */
export async function createClone(
  source: CloneSource,
  options: CloneOptions = {},
): Promise<ClonedDatabase> {
  const name = cloneNameFor(source.template)
  const record = newRecord({
    kind: 'clone',
    project: source.project,
    template: source.template,
    ...(options.label === undefined ? {} : { label: options.label }),
  })
  // The pool is only a speed-up: any problem claiming (even one that ends the session) falls
  // back to a direct clone on a fresh connection.
  const fromPool =
    source.pool === true &&
    (await withAdminClient(source.adminUrl, (client) =>
      claimPooledDatabase(client, source.template, name, record),
    ).catch(() => false))
  if (fromPool) crashPoint('after-claim', 'clone')
  else {
    await withAdminClient(source.adminUrl, (client) =>
      cloneInto(client, source, name, record),
    ).catch((error: unknown) => {
      throw (
        serverLostError(error, {
          adminUrl: source.adminUrl,
          doing: `cloning template ${source.template}${options.label ? ` for ${options.label}` : ''}`,
          serverLog: source.serverLog,
        }) ?? error
      )
    })
  }
  return clonedDatabase(source.adminUrl, source.template, name, record, fromPool)
}

/**
 * Creates `<name>` as a copy of the template with `record` (see `createOwnedDatabase`). Used for clones,
 * pool databases and scratch copies.
 *
 * @throws PgtestbedError CLONE_FAILED
 */
export async function cloneInto(
  client: Queryable,
  source: Pick<CloneSource, 'template' | 'cloneStrategy'>,
  name: string,
  record: OwnershipRecord,
): Promise<void> {
  try {
    await createOwnedDatabase(client, {
      name,
      template: source.template,
      strategy: source.cloneStrategy,
      record,
    })
  } catch (error) {
    throw cloneError(source.template, error)
  }
}

function cloneError(template: string, error: unknown): PgtestbedError {
  const code = sqlState(error)
  const fix =
    code === '3D000'
      ? 'The template was dropped (by `pgtestbed gc` or by hand) while tests ran: run the tests again to rebuild it.'
      : code === '55006'
        ? `A session is connected to the template; find it with SELECT * FROM pg_stat_activity WHERE datname = '${template}'.`
        : code === '42501'
          ? 'The role needs CREATEDB (or to own the template) to clone it.'
          : undefined
  return new PgtestbedError(
    'CLONE_FAILED',
    `could not clone template "${template}": ${describePgError(error)}`,
    { cause: error, ...(fix ? { fix } : {}) },
  )
}

/** Wraps an existing clone in the {@link ClonedDatabase} handle. */
export function clonedDatabase(
  adminUrl: string,
  template: string,
  name: string,
  record: OwnershipRecord,
  fromPool: boolean,
): ClonedDatabase {
  const url = databaseUrl(adminUrl, name)
  let kept = false
  let dropped: Promise<DropResult> | undefined
  const drop = () =>
    kept
      ? Promise.resolve<DropResult>({ name, dropped: false, leakedConnections: [], record })
      : (dropped ??= withAdminClient(adminUrl, (client) => dropDatabase(client, name)))
  return {
    name,
    url,
    template,
    fromPool,
    drop,
    handOff: () =>
      kept || dropped
        ? Promise.resolve(false)
        : withAdminClient(adminUrl, (client) => releaseToPool(client, name, record)),
    async keep() {
      await withAdminClient(adminUrl, async (client) => {
        const entry = await readDatabase(client, name)
        if (!entry) {
          throw new PgtestbedError(
            'DATABASE_GONE',
            `cannot keep database "${name}": it no longer exists (dropped by \`pgtestbed gc --force\` or by hand while the tests ran)`,
            { fix: 'Run the failing test again to get a database to inspect.' },
          )
        }
        assertOwned(entry)
        await writeRecord(client, name, {
          ...entry.record,
          kept: true,
          keptAt: new Date().toISOString(),
        })
      })
      kept = true
      return url
    },
    async [Symbol.asyncDispose]() {
      await drop()
    },
  }
}
