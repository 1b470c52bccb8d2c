import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import type { Reporter } from '../../progress.js'
import {
  prepareMemoryDataDir,
  readMemoryRecord,
  removeMemoryDataDir,
  sweepOrphanMemoryRoots,
} from './memory.js'
import type { ServerPaths } from './paths.js'
import { makeRoomInMemory, memorySpace, takeEvictionNotice } from './budget.js'
import { memoryFullError } from './memory-full.js'
import {
  chooseStorage,
  formatBytes,
  memoryDirProblem,
  MIN_MEMORY_FREE_BYTES,
  type EmbeddedStorage,
} from './storage.js'
import { runningAsRoot, type OsUser } from './user.js'

/** Where the cluster of a server that is about to start lives. */
export interface PlacedDataDir {
  dataDir: string
  storage: 'memory' | 'disk'
}

const hasCluster = (dataDir: string) => existsSync(path.join(dataDir, 'PG_VERSION'))

/**
 * Picks the data folder for a server that is not running (call under the lock):
 * - a cluster already in memory stays there (its templates are there), unless `'disk'` is asked;
 * - otherwise {@link chooseStorage} decides, and a memory folder is prepared when it says so.
 * Orphaned memory folders (their cache folder is gone) are removed on the way. A recorded memory
 * folder that vanished (a reboot empties `/dev/shm`) is said once, then made again.
 */
export async function placeDataDir(
  paths: ServerPaths,
  requested: EmbeddedStorage,
  memoryDir: string,
  user: OsUser | undefined,
  reporter: Reporter,
): Promise<PlacedDataDir> {
  const inMemory = requested !== 'disk' && process.platform === 'linux'
  if (inMemory) {
    await sweepOrphanMemoryRoots(memoryDir).catch(() => [])
    const evicted = takeEvictionNotice(paths)
    if (evicted) reporter.info(evicted)
  }
  const record = readMemoryRecord(paths)
  if (requested !== 'disk' && record && hasCluster(record.dataDir)) {
    warnWhenShort(memoryDir, reporter)
    return { dataDir: record.dataDir, storage: 'memory' }
  }
  // Only a usable tmpfs short of space is "full"; anything else is chooseStorage's to tell.
  if (inMemory && memoryDirProblem(memoryDir, 0) === undefined) {
    // A new cluster wants room: stopped servers' data in memory is only a cache.
    await makeRoomInMemory(memoryDir, MIN_MEMORY_FREE_BYTES, reporter)
    const space = memorySpace(memoryDir)
    if (requested === 'memory' && space && space.size > 0 && space.free < MIN_MEMORY_FREE_BYTES) {
      throw memoryFullError(
        memoryDir,
        `cannot start the embedded server with its data in memory (embedded.storage 'memory' wants ${formatBytes(MIN_MEMORY_FREE_BYTES)} free)`,
      )
    }
  }
  const choice = chooseStorage(requested, memoryDir)
  if (choice.storage === 'disk') {
    if (choice.notice) reporter.info(choice.notice)
    // A forgotten record of a memory folder that is gone would only mislead `stop` and cleanup.
    if (record && !existsSync(record.dataDir)) await removeMemoryDataDir(paths)
    return { dataDir: paths.dataDir, storage: 'disk' }
  }
  if (record && !existsSync(record.dataDir)) {
    reporter.info(
      `the embedded server's data folder ${record.dataDir} is gone (memory storage does not survive a reboot): creating it again; templates are rebuilt once`,
    )
  } else if (hasCluster(paths.dataDir)) {
    reporter.info(
      `the embedded server's data now lives in memory; its old data folder ${paths.dataDir} is no longer used (delete it to free the disk space, or set embedded.storage to 'disk' to keep using it)`,
    )
  }
  const dataDir = await prepareMemoryDataDir(paths, memoryDir, user)
  return { dataDir, storage: 'memory' }
}

/** Free space below which a start on an existing cluster in memory warns (256 MiB). */
const LOW_MEMORY_FREE_BYTES = MIN_MEMORY_FREE_BYTES / 4

/**
 * A cluster already in memory stays there (its templates are there) even when the folder is
 * nearly full; says what will happen then, once, at start.
 */
function warnWhenShort(memoryDir: string, reporter: Reporter): void {
  const space = memorySpace(memoryDir)
  // A ramfs has no size (nothing to check).
  if (!space || space.size === 0 || space.free >= LOW_MEMORY_FREE_BYTES) return
  const free = space.free
  reporter.warn(
    `${memoryDir}, which holds the embedded server's data, has only ${formatBytes(free)} free: template builds and clones may fail with MEMORY_FULL (\`pgtestbed server status\` shows what fills it; embedded.storage 'disk' keeps the data on disk)`,
  )
}

/** The data folder must belong to the account the server runs as. */
export async function ensureDataOwner(
  dataDir: string,
  user: OsUser | undefined,
  removeHint: string,
): Promise<void> {
  const stat = await fs.stat(dataDir).catch(() => undefined)
  const uid = user?.uid ?? process.getuid?.()
  if (!stat || uid === undefined || stat.uid === uid) return
  if (user && runningAsRoot()) {
    for (const entry of await fs.readdir(dataDir, { recursive: true })) {
      await fs.lchown(path.join(dataDir, entry), user.uid, user.gid)
    }
    await fs.chown(dataDir, user.uid, user.gid)
    return
  }
  throw new PgtestbedError(
    'EMBEDDED_START_FAILED',
    `the embedded server's data folder ${dataDir} belongs to another user (uid ${stat.uid})`,
    { fix: `Delete ${removeHint} (pgtestbed recreates it), or run as the user who created it.` },
  )
}
