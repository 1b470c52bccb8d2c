import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import { readMemoryRecord, removeMemoryDataDir } from './memory.js'
import {
  embeddedServersIn,
  fallbackCacheDir,
  resolveCacheDir,
  type CacheDirOptions,
  type ServerPaths,
} from './paths.js'
import { recordKeptDatabases } from './kept.js'
import { embeddedAdminUrl, isPostmasterOf, readPostmasterPid, stopPostmaster } from './process.js'
import { knownDataDirs } from './running.js'
import { liveLeases, readState, removeState, withServerLock } from './share.js'

/** Options of {@link stopEmbeddedServer}. */
export interface StopEmbeddedServerOptions extends CacheDirOptions {
  /**
   * Stop a server even while live processes still use it (their connections are cut).
   * Default: `false` (such a server is left running and reported with `stopped: false`).
   */
  force?: boolean
  /**
   * Also delete the server's data (every database and template on it): its data folder on disk
   * and in memory. Skipped for a server left running because it is in use (not `force`d). The
   * next run starts from initdb. Default: `false`.
   */
  removeData?: boolean
}

/** What {@link stopEmbeddedServer} found for one PostgreSQL major. */
export interface StoppedEmbeddedServer {
  /** The server's data folder (the one in memory with memory storage). */
  dataDir: string
  /** True when a running server was stopped. */
  stopped: boolean
  /** The pid of the server that was running, if one was. */
  pid?: number
  /** Its port, if one was running. */
  port?: number
  /** Live processes using it (when not forced, a server in use is left running). */
  activeUsers: number
  /** The data folders deleted (only with `removeData`). */
  removedDataDirs?: string[]
}

/** The data folder to report: the running one, else the one in memory if it exists, else disk. */
function currentDataDir(paths: ServerPaths): string {
  const memory = readMemoryRecord(paths)?.dataDir
  return memory !== undefined && existsSync(memory) ? memory : paths.dataDir
}

/**
 * Stops the shared embedded server(s) of a cache folder (every PostgreSQL major found there, in
 * the cache folder and in its temp-folder fallback, with their data on disk or in memory), e.g.
 * one left running with `release({ keepRunning: true })`. The data is kept unless `removeData`
 * is set; the next run starts the server again.
 *
 * @example
 * for (const s of await stopEmbeddedServer()) if (s.stopped) console.log(`stopped pid ${s.pid}`)
 * await stopEmbeddedServer({ force: true, removeData: true }) // a reset: next run starts afresh
 */
export async function stopEmbeddedServer(
  options: StopEmbeddedServerOptions = {},
): Promise<StoppedEmbeddedServer[]> {
  const cacheDir = resolveCacheDir(options)
  const results: StoppedEmbeddedServer[] = []
  let stillRunning = false
  for (const paths of embeddedServersIn(cacheDir)) {
    const dataDirs = knownDataDirs(paths)
    if (!dataDirs.some((d) => existsSync(d)) && !existsSync(paths.stateFile)) continue
    const result = await withServerLock(paths, 30_000, () => stopOne(paths, dataDirs, options))
    if (result.pid !== undefined && !result.stopped) stillRunning = true
    results.push(result)
  }
  // The temp-folder fallback holds nothing but pgtestbed's server files: a reset removes it whole.
  if (options.removeData && !stillRunning) {
    await fs.rm(fallbackCacheDir(cacheDir), { recursive: true, force: true })
  }
  return results
}

async function stopOne(
  paths: ServerPaths,
  dataDirs: string[],
  options: StopEmbeddedServerOptions,
): Promise<StoppedEmbeddedServer> {
  const users = liveLeases(paths).length
  const state = readState(paths)
  let running: { pid: number; dataDir: string } | undefined
  for (const dataDir of dataDirs) {
    const pid =
      readPostmasterPid(dataDir)?.pid ?? (state?.dataDir === dataDir ? state.pid : undefined)
    if (pid !== undefined && isPostmasterOf(pid, dataDir)) running = { pid, dataDir }
  }
  const result: StoppedEmbeddedServer = {
    dataDir: running?.dataDir ?? currentDataDir(paths),
    stopped: false,
    activeUsers: users,
  }
  if (running) {
    const port = readPostmasterPid(running.dataDir)?.port ?? state?.port
    Object.assign(result, { pid: running.pid, port })
    if (users > 0 && !options.force) return result
    if (running.dataDir !== paths.dataDir && port !== undefined && !options.removeData) {
      await recordKeptDatabases(paths, embeddedAdminUrl(port))
    }
    await stopPostmaster(running.pid, running.dataDir)
    result.stopped = true
  }
  removeState(paths)
  if (options.removeData) result.removedDataDirs = await removeData(paths)
  return result
}

/** Deletes the data folders of a stopped server (on disk and in memory). */
async function removeData(paths: ServerPaths): Promise<string[]> {
  const removed: string[] = []
  await fs.rm(paths.keptFile, { force: true })
  const memory = await removeMemoryDataDir(paths)
  if (memory !== undefined) removed.push(memory)
  if (existsSync(paths.dataDir)) {
    await fs.rm(paths.dataDir, { recursive: true, force: true })
    removed.push(paths.dataDir)
  }
  return removed
}
