import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import { findWorkspaceRoot } from '../../internal/workspace-root.js'
import type { Reporter } from '../../progress.js'
import type { OsUser } from './user.js'

/** pgtestbed's cache folder, relative to the workspace root. */
export const DEFAULT_CACHE_DIR = 'node_modules/.cache/pgtestbed'

/** Options that say where pgtestbed keeps its cache. */
export interface CacheDirOptions {
  /**
   * pgtestbed's cache folder, relative to `cwd`: the embedded server's state, lock, leases and
   * log, and the lint cache (`lint/`). The server's data (its templates) is in memory by default
   * (`/dev/shm/pgtestbed-<uid>-<hash of this folder>`, see `EmbeddedOptions.storage`) and here
   * only with `storage: 'disk'` or where no tmpfs is usable. Default: `PGTESTBED_CACHE_DIR`, else
   * `<workspace root>/node_modules/.cache/pgtestbed`, where the workspace root is the topmost folder
   * above `cwd` holding `pnpm-workspace.yaml`, a lockfile or `.git` (so all packages of a monorepo
   * share one server), else `cwd`.
   */
  cacheDir?: string
  /** Folder relative paths are resolved against. Default: `process.cwd()`. */
  cwd?: string
}

/**
 * The absolute cache folder for these options.
 *
 * @example
 * resolveCacheDir({ cwd: '/repo/packages/api' }) // '/repo/node_modules/.cache/pgtestbed'
 */
export function resolveCacheDir(options: CacheDirOptions = {}): string {
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const explicit = options.cacheDir ?? (process.env.PGTESTBED_CACHE_DIR || undefined)
  if (explicit !== undefined) return path.resolve(cwd, explicit)
  return path.join(findWorkspaceRoot(cwd), DEFAULT_CACHE_DIR)
}

/** Where one embedded server (one PostgreSQL major) keeps its files. */
export interface ServerPaths {
  /** The cache folder in use (the temp-folder fallback when the server's user cannot reach the configured one). */
  cacheDir: string
  /** PostgreSQL major version of this server folder. */
  major: number
  /** `<cacheDir>/embedded/pg<major>`. */
  root: string
  /**
   * PostgreSQL's data folder with `disk` storage, owned by the server's OS user. With `memory`
   * storage the data folder lives elsewhere (see `memoryFile`); everything else stays here.
   */
  dataDir: string
  /** JSON naming the data folder in memory, when one was made (`embedded-memory.ts`). */
  memoryFile: string
  /** JSON: pid, port, data folder and version of the running server. */
  stateFile: string
  /** One file per process handle attached to the server. */
  leasesDir: string
  /** The server's log (stderr of `postgres`), rewritten at each start. */
  logFile: string
  /** Cross-process lock around start, attach, release and stop. */
  lockFile: string
  /**
   * JSON listing the databases kept for debugging on the server when it last stopped with its
   * data in memory: the memory budget never evicts such a data folder (`budget.ts`).
   */
  keptFile: string
  /** JSON saying when and why the memory budget evicted the data folder in memory (`budget.ts`). */
  evictedFile: string
}

/** The files of the embedded server for PostgreSQL `major` under `cacheDir`. */
function serverPaths(cacheDir: string, major: number): ServerPaths {
  const root = path.join(cacheDir, 'embedded', `pg${major}`)
  return {
    cacheDir,
    major,
    root,
    memoryFile: path.join(root, 'memory.json'),
    dataDir: path.join(root, 'data'),
    stateFile: path.join(root, 'server.json'),
    leasesDir: path.join(root, 'leases'),
    logFile: path.join(root, 'postgres.log'),
    lockFile: path.join(root, 'server.lock'),
    keptFile: path.join(root, 'kept.json'),
    evictedFile: path.join(root, 'evicted.json'),
  }
}

/**
 * The cache folder used instead of `cacheDir` when the server's OS user cannot reach it (a
 * checkout under a private home folder): a folder under the OS temp folder, one per `cacheDir`.
 */
export function fallbackCacheDir(cacheDir: string): string {
  const key = createHash('sha256').update(cacheDir).digest('hex').slice(0, 12)
  return path.join(os.tmpdir(), `pgtestbed-cache-${key}`)
}

/**
 * The files of every embedded server started under `cacheDir` or its temp-folder fallback
 * ({@link fallbackCacheDir}): one per PostgreSQL major found there, by folder, then major.
 */
export function embeddedServersIn(cacheDir: string): ServerPaths[] {
  const found: ServerPaths[] = []
  for (const dir of [cacheDir, fallbackCacheDir(cacheDir)]) {
    let names: string[]
    try {
      names = readdirSync(path.join(dir, 'embedded'))
    } catch {
      continue
    }
    const majors = names.filter((name) => /^pg\d+$/.test(name)).map((name) => Number(name.slice(2)))
    for (const major of majors.sort((a, b) => a - b)) found.push(serverPaths(dir, major))
  }
  return found
}

/** True when `user` can enter `dir` (every folder above it lets them through). */
function reachableBy(dir: string, user: OsUser): boolean {
  const result = spawnSync('/bin/sh', ['-c', 'test -x "$1" && test -r "$1"', 'sh', dir], {
    uid: user.uid,
    gid: user.gid,
    timeout: 10_000,
  })
  return result.status === 0
}

/**
 * Creates the embedded server's folder for PostgreSQL `major` and returns its paths. When the
 * server runs as another OS user who cannot reach `cacheDir`, switches to
 * {@link fallbackCacheDir} and says so once through `reporter`.
 */
export async function prepareServerPaths(
  cacheDir: string,
  major: number,
  user: OsUser | undefined,
  reporter: Reporter,
): Promise<ServerPaths> {
  let paths = serverPaths(cacheDir, major)
  await makeDir(paths.root)
  if (user && !reachableBy(paths.root, user)) {
    const fallback = fallbackCacheDir(cacheDir)
    reporter.info(
      `the OS user "${user.name}" cannot reach ${cacheDir} (a parent folder is private); keeping the embedded server's data in ${fallback}`,
    )
    paths = serverPaths(fallback, major)
    await makeDir(paths.root)
    const owner = (await fs.stat(fallback)).uid
    if (owner !== process.getuid?.()) {
      throw new PgtestbedError(
        'EMBEDDED_START_FAILED',
        `${fallback} belongs to another user (uid ${owner}); pgtestbed will not keep its server there`,
        {
          fix: `Remove ${fallback}, or set PGTESTBED_CACHE_DIR to a folder the user "${user.name}" can reach.`,
        },
      )
    }
    if (!reachableBy(paths.root, user)) {
      throw new PgtestbedError(
        'EMBEDDED_START_FAILED',
        `the OS user "${user.name}" cannot reach ${paths.root} either`,
        { fix: `Set PGTESTBED_CACHE_DIR to a folder the user "${user.name}" can reach.` },
      )
    }
  }
  await makeDir(paths.leasesDir)
  return paths
}

async function makeDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 })
  } catch (cause) {
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `cannot create the embedded server's folder ${dir}: ${(cause as Error).message}`,
      { cause, fix: 'Set PGTESTBED_CACHE_DIR (or the cacheDir option) to a writable folder.' },
    )
  }
}
