import { accessSync, constants, statfsSync, statSync } from 'node:fs'
import { PgtestbedError } from '../../errors.js'

/**
 * Where the embedded server keeps its data folder:
 * - `'memory'`: on a RAM-backed file system (Linux: `/dev/shm`). Clones are several times faster
 *   (creating ~1,000 small files per clone is what costs on a disk), but the data is lost at
 *   reboot (the next run runs initdb and rebuilds its templates) and it takes RAM.
 * - `'disk'`: under the cache folder, next to the server's state and log.
 * - `'auto'`: `'memory'` when a usable RAM-backed folder exists, else `'disk'`.
 *
 * @example
 * await startTestbed({ embedded: { storage: 'disk' } }) // keep templates across reboots
 */
export type EmbeddedStorage = 'auto' | 'memory' | 'disk'

/** Where a server's data actually lives, as far as pgtestbed knows (`'unknown'` for a URL). */
export type StorageMedium = 'memory' | 'disk' | 'unknown'

/**
 * What pgtestbed knows about how a server stores its data; `cloneStrategy: 'auto'` is resolved
 * from it (see `resolveCloneStrategy`).
 *
 * @example
 * server.storage // { medium: 'memory', fsync: false } for the embedded server on /dev/shm
 */
export interface ServerStorage {
  /** `'memory'` (a tmpfs) or `'disk'` for servers pgtestbed starts; `'unknown'` for a URL. */
  medium: StorageMedium
  /** The server's `fsync` setting: whether its checkpoints wait for the disk. */
  fsync: boolean
}

/** Default of `embedded.storage`. */
export const DEFAULT_EMBEDDED_STORAGE: EmbeddedStorage = 'auto'

/** The environment variable that overrides `embedded.storage` (`auto`, `memory` or `disk`). */
export const EMBEDDED_STORAGE_ENV = 'PGTESTBED_EMBEDDED_STORAGE'

/** The RAM-backed folder memory storage uses on Linux. */
export const DEFAULT_MEMORY_DIR = '/dev/shm'

/**
 * Free space the RAM-backed folder must have before pgtestbed puts a new cluster there (1 GiB):
 * a cluster takes ~40 MB, each template and live clone its own size, and WAL up to a few hundred
 * MB between checkpoints; a machine with less free RAM than this is better served by the disk.
 */
export const MIN_MEMORY_FREE_BYTES = 1024 ** 3

/** Every accepted value of `embedded.storage` (config files are checked against this list too). */
export const EMBEDDED_STORAGES: readonly EmbeddedStorage[] = ['auto', 'memory', 'disk']

// statfs(2) f_type values of the RAM-backed file systems (linux/magic.h).
const TMPFS_MAGIC = 0x01021994
const RAMFS_MAGIC = 0x858458f6

/**
 * The storage asked for: `PGTESTBED_EMBEDDED_STORAGE` when set, else the option, else `'auto'`.
 *
 * @throws PgtestbedError `INVALID_OPTIONS` for a value that is not `auto`, `memory` or `disk`.
 * @example
 * requestedStorage(undefined, { PGTESTBED_EMBEDDED_STORAGE: 'disk' }) // 'disk'
 */
export function requestedStorage(
  option: EmbeddedStorage | undefined,
  env: NodeJS.ProcessEnv = process.env,
): EmbeddedStorage {
  const fromEnv = env[EMBEDDED_STORAGE_ENV] || undefined
  const value = fromEnv ?? option ?? DEFAULT_EMBEDDED_STORAGE
  if (!EMBEDDED_STORAGES.includes(value as EmbeddedStorage)) {
    const where = fromEnv === undefined ? 'embedded.storage' : EMBEDDED_STORAGE_ENV
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `${where} must be 'auto', 'memory' or 'disk', not ${JSON.stringify(value)}`,
      { fix: `Use ${where}=auto (the default), memory or disk.` },
    )
  }
  return value as EmbeddedStorage
}

/**
 * Why `dir` cannot hold a data folder in memory, or `undefined` when it can: it must exist, be a
 * tmpfs (or ramfs), be writable and have at least `minFreeBytes` free. Linux only.
 *
 * @example
 * memoryDirProblem('/dev/shm') // undefined on most Linux machines
 * memoryDirProblem('/tmp')     // '/tmp is not a RAM-backed file system (tmpfs)' on most
 */
export function memoryDirProblem(
  dir: string,
  minFreeBytes: number = MIN_MEMORY_FREE_BYTES,
): string | undefined {
  if (process.platform !== 'linux')
    return `memory storage needs Linux (this is ${process.platform})`
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a folder`
  } catch {
    return `${dir} does not exist`
  }
  let stats
  try {
    stats = statfsSync(dir, { bigint: true })
  } catch (error) {
    return `cannot inspect ${dir}: ${(error as Error).message}`
  }
  const type = Number(stats.type)
  if (type !== TMPFS_MAGIC && type !== RAMFS_MAGIC) {
    return `${dir} is not a RAM-backed file system (tmpfs)`
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
  } catch {
    return `${dir} is not writable`
  }
  // ramfs reports no size (0 blocks): it grows until RAM runs out, so there is nothing to check.
  if (type === TMPFS_MAGIC) {
    const free = stats.bavail * stats.bsize
    if (free < BigInt(minFreeBytes)) {
      return `${dir} has ${formatBytes(Number(free))} free, less than the ${formatBytes(minFreeBytes)} pgtestbed wants`
    }
  }
  return undefined
}

/**
 * A size for messages: `1.5 GiB`, `84 MiB`, `12 KiB`.
 *
 * @example
 * formatBytes(84 * 1024 ** 2) // '84 MiB'
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KiB`
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`
}

/** What {@link chooseStorage} decided. */
export interface StorageChoice {
  storage: 'memory' | 'disk'
  /** A one-line notice for the user when `'auto'` fell back to the disk. */
  notice?: string
}

/**
 * Decides where a NEW data folder goes (an existing cluster keeps its place: see the caller).
 * `'auto'` falls back to the disk with a notice when `memoryDir` is unusable (silently on macOS
 * and Windows, which have no such folder); `'memory'` fails instead.
 *
 * @throws PgtestbedError `EMBEDDED_START_FAILED` when `'memory'` was asked for and is unusable.
 */
export function chooseStorage(requested: EmbeddedStorage, memoryDir: string): StorageChoice {
  if (requested === 'disk') return { storage: 'disk' }
  const problem = memoryDirProblem(memoryDir)
  if (problem === undefined) return { storage: 'memory' }
  if (requested === 'memory') {
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `the embedded server cannot keep its data in memory: ${problem}`,
      {
        fix: `Use embedded.storage 'disk' or 'auto' (or ${EMBEDDED_STORAGE_ENV}=disk), or mount a tmpfs with at least ${formatBytes(MIN_MEMORY_FREE_BYTES)} free at ${memoryDir}.`,
      },
    )
  }
  if (process.platform !== 'linux') return { storage: 'disk' }
  return {
    storage: 'disk',
    notice: `keeping the embedded server's data on disk (${problem}); clones are faster with a tmpfs at ${memoryDir}`,
  }
}
