import fs from 'node:fs/promises'
import path from 'node:path'
import { isProcessAlive, sleep } from '../../internal/process-info.js'
import type { ServerPaths } from './paths.js'
import { memoryDataDirFor, readMemoryRecord } from './memory.js'
import {
  isPostmasterOf,
  probeServer,
  type ProbedServer,
  readPostmasterPid,
  stopPostmaster,
} from './process.js'
import { readState, removeState, writeState } from './share.js'

/** A server serving one of our data folders. */
export interface RunningServer extends ProbedServer {
  pid: number
  port: number
  dataDir: string
}

/**
 * Every data folder a server of this server folder may run on: the one on disk, the one in
 * memory it recorded, and (when given) the one in memory under `memoryDir`. All are ours.
 */
export function knownDataDirs(paths: ServerPaths, memoryDir?: string): string[] {
  const dirs = [paths.dataDir, readMemoryRecord(paths)?.dataDir]
  if (memoryDir !== undefined) dirs.push(memoryDataDirFor(paths, memoryDir))
  return [...new Set(dirs.filter((dir): dir is string => dir !== undefined))]
}

/**
 * The server currently serving one of `dataDirs` (see {@link knownDataDirs}), adopted if healthy;
 * otherwise stale files are cleaned up so a fresh start can succeed. A state file naming a data
 * folder that is gone (memory storage after a reboot) is simply stale. Call under the lock.
 */
export async function findRunning(
  paths: ServerPaths,
  dataDirs: readonly string[],
  version: string,
): Promise<RunningServer | undefined> {
  const state = readState(paths)
  if (state && dataDirs.includes(state.dataDir)) {
    const probed = await probeServer(state.port, state.dataDir)
    if (probed !== undefined) {
      const pid = readPostmasterPid(state.dataDir)?.pid ?? state.pid
      return { pid, port: state.port, dataDir: state.dataDir, ...probed }
    }
  }
  for (const dataDir of dataDirs) {
    const adopted = await adoptOrStop(paths, dataDir, version)
    if (adopted) return adopted
  }
  removeState(paths)
  for (const dataDir of dataDirs) {
    // PostgreSQL refuses to start while postmaster.pid names a live process, even an unrelated
    // one that reused the pid. No postgres serves this folder now, so the file is stale.
    const leftover = readPostmasterPid(dataDir)
    if (leftover && !isPostmasterOf(leftover.pid, dataDir)) {
      await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true })
    }
  }
  return undefined
}

async function adoptOrStop(
  paths: ServerPaths,
  dataDir: string,
  version: string,
): Promise<RunningServer | undefined> {
  const postmaster = readPostmasterPid(dataDir)
  if (!postmaster || !isPostmasterOf(postmaster.pid, dataDir)) return undefined
  // A server runs on our data folder without a valid state file: starting, stopping (a last
  // user's exit handler), or orphaned by a killed process. Adopt it once ready, or let it stop.
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && isProcessAlive(postmaster.pid)) {
    const now = readPostmasterPid(dataDir)
    if (now && now.status !== 'stopping') {
      const probed = await probeServer(now.port, dataDir, 1000)
      if (probed !== undefined) {
        writeState(paths, {
          pid: postmaster.pid,
          port: now.port,
          dataDir,
          version,
          startedAt: new Date().toISOString(),
        })
        return { pid: postmaster.pid, port: now.port, dataDir, ...probed }
      }
    }
    await sleep(25)
  }
  // Still alive but not answering: it is ours (it serves our data folder), so stop it.
  await stopPostmaster(postmaster.pid, dataDir)
  return undefined
}
