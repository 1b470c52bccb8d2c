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
import { chooseStorage, type EmbeddedStorage } from './storage.js'
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
  if (requested !== 'disk' && process.platform === 'linux') {
    await sweepOrphanMemoryRoots(memoryDir).catch(() => [])
  }
  const record = readMemoryRecord(paths)
  if (requested !== 'disk' && record && hasCluster(record.dataDir)) {
    return { dataDir: record.dataDir, storage: 'memory' }
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
