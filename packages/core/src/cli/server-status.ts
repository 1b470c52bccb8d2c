import { existsSync } from 'node:fs'
import path from 'node:path'
import {
  memoryUsage,
  memorySpace,
  resolveMemoryBudget,
  type MemoryRootUsage,
} from '../servers/embedded/budget.js'
import { memoryRootOfDataDir, readMemoryRecord } from '../servers/embedded/memory.js'
import type { EmbeddedOptions } from '../servers/embedded/server.js'
import { DEFAULT_MEMORY_DIR, memoryDirProblem } from '../servers/embedded/storage.js'
import { embeddedServersIn, fallbackCacheDir, type ServerPaths } from '../servers/embedded/paths.js'
import { embeddedAdminUrl, isPostmasterOf, readPostmasterPid } from '../servers/embedded/process.js'
import { knownDataDirs } from '../servers/embedded/running.js'
import { liveLeases, readState } from '../servers/embedded/share.js'
import { closeAdminPools, withAdminClient } from '../templates/admin.js'
import { listDatabases, type DatabaseEntry } from '../templates/ownership.js'

/** A pgtestbed database on an embedded server, as `pgtestbed server status` lists it. */
interface StatusDatabase {
  name: string
  /** `template`, `clone`, `pool`, `build`, `scratch`, or `foreign` (our prefix, no record). */
  kind: string
  /** A clone kept for debugging after a failed test. */
  kept: boolean
  /** Who the clone was for (the test file). */
  label?: string
  /** When it was created (ISO). */
  createdAt?: string
}

/** What `pgtestbed server status` found for one embedded server (one PostgreSQL major). */
export interface EmbeddedServerStatus {
  major: number
  /** The cache folder holding its state, leases and log (the temp fallback when used). */
  cacheDir: string
  running: boolean
  pid?: number
  port?: number
  /** The data folder: the running one, else the one in memory if it exists, else on disk. */
  dataDir: string
  /** `memory` (a tmpfs) or `disk`. */
  storage: 'memory' | 'disk'
  /** Pids of the live processes attached to it (test runs, tools). */
  attached: number[]
  /** pgtestbed's databases on it (read only while it runs). */
  databases: StatusDatabase[]
  /** Why the databases could not be listed, when they could not. */
  databasesError?: string
  /** The server's log (its stderr, rewritten at each start). */
  logFile: string
  /** The maintenance database's URL while it runs (the embedded server has no password). */
  adminUrl?: string
  /** Bytes its data folder takes in memory (its whole memory root), when it is in memory. */
  memoryBytes?: number
}

/** One of this OS user's data folders in memory, as `server status` lists it. */
interface StatusMemoryRoot extends MemoryRootUsage {
  /** True for the memory root of the cache folder asked about. */
  thisWorkspace: boolean
}

/**
 * What the memory folder holds, across every workspace of the machine: this OS user's pgtestbed
 * data folders there, the budget they are kept within, and the folder's size and free space.
 */
export interface MemoryStatus {
  /** The RAM-backed folder (`embedded.memoryDir`, `/dev/shm` by default). */
  dir: string
  /** `embedded.memoryBudget` in bytes. */
  budget: number
  /** Bytes pgtestbed's data folders of this OS user take there together. */
  used: number
  /** The folder's file system: size and free bytes. */
  size: number
  free: number
  /** Each data folder, largest first. */
  roots: StatusMemoryRoot[]
}

function entryOf(entry: DatabaseEntry): StatusDatabase {
  const record = entry.record
  if (!record) return { name: entry.name, kind: 'foreign', kept: false }
  return {
    name: entry.name,
    kind: record.kind,
    kept: record.kept === true,
    ...(record.label === undefined ? {} : { label: record.label }),
    createdAt: record.createdAt,
  }
}

/** The pids of live lease files (`<pid>-<n>-<random>.json`). */
function attachedPids(paths: ServerPaths): number[] {
  const pids = liveLeases(paths).map((file) => Number(path.basename(file).split('-')[0]))
  return [...new Set(pids.filter((pid) => Number.isInteger(pid)))].sort((a, b) => a - b)
}

async function statusOf(paths: ServerPaths): Promise<EmbeddedServerStatus | undefined> {
  const dataDirs = knownDataDirs(paths)
  if (!dataDirs.some((dir) => existsSync(dir)) && !existsSync(paths.stateFile)) return undefined
  const state = readState(paths)
  let running: { pid: number; port: number; dataDir: string } | undefined
  for (const dataDir of dataDirs) {
    const postmaster = readPostmasterPid(dataDir)
    const pid = postmaster?.pid ?? (state?.dataDir === dataDir ? state.pid : undefined)
    const port = postmaster?.port ?? state?.port
    if (pid !== undefined && port !== undefined && isPostmasterOf(pid, dataDir)) {
      running = { pid, port, dataDir }
    }
  }
  const memory = readMemoryRecord(paths)?.dataDir
  const dataDir =
    running?.dataDir ?? (memory !== undefined && existsSync(memory) ? memory : paths.dataDir)
  const inMemory = dataDir === memory
  const status: EmbeddedServerStatus = {
    major: paths.major,
    cacheDir: paths.cacheDir,
    running: running !== undefined,
    dataDir,
    storage: inMemory ? 'memory' : 'disk',
    attached: attachedPids(paths),
    databases: [],
    logFile: paths.logFile,
  }
  if (inMemory) {
    const root = memoryRootOfDataDir(dataDir)
    status.memoryBytes = memoryUsage(path.dirname(root)).find(
      (usage) => usage.memoryRoot === root,
    )?.bytes
  }
  if (!running) return status
  status.pid = running.pid
  status.port = running.port
  const adminUrl = embeddedAdminUrl(running.port)
  status.adminUrl = adminUrl
  try {
    const entries = await withAdminClient(adminUrl, (client) => listDatabases(client))
    status.databases = entries.map(entryOf)
  } catch (error) {
    status.databasesError = (error as Error).message
  } finally {
    await closeAdminPools(adminUrl).catch(() => {})
  }
  return status
}

/**
 * The memory folder's usage by this OS user's pgtestbed data (every workspace's), or `undefined`
 * where there is no usable RAM-backed folder (macOS, Windows, a missing `/dev/shm`).
 *
 * @throws PgtestbedError INVALID_OPTIONS for a budget that is not a size or a share.
 */
export function memoryStatus(
  cacheDir: string,
  servers: readonly EmbeddedServerStatus[],
  embedded: Pick<EmbeddedOptions, 'memoryDir' | 'memoryBudget'>,
): MemoryStatus | undefined {
  // Where this workspace's data is in memory, else where a new server would put it.
  const inMemory = servers.find((s) => s.storage === 'memory')
  const dir = inMemory
    ? path.dirname(memoryRootOfDataDir(inMemory.dataDir))
    : (embedded.memoryDir ?? DEFAULT_MEMORY_DIR)
  const budget = resolveMemoryBudget(embedded.memoryBudget, dir)
  const space = memoryDirProblem(dir, 0) === undefined ? memorySpace(dir) : undefined
  if (space === undefined) return undefined
  const mine = new Set([cacheDir, fallbackCacheDir(cacheDir)])
  const roots = memoryUsage(dir)
    .map((usage) => ({ ...usage, thisWorkspace: mine.has(usage.cacheDir ?? '') }))
    .sort((a, b) => b.bytes - a.bytes)
  const used = roots.reduce((sum, root) => sum + root.bytes, 0)
  return { dir, budget, used, size: space.size, free: space.free, roots }
}

/**
 * The embedded servers of a cache folder (every PostgreSQL major found there and in its temp
 * fallback): running or not, pid, port, data folder, attached processes and, while running,
 * pgtestbed's databases on it. Empty when no embedded server was ever started there.
 */
export async function embeddedServerStatus(cacheDir: string): Promise<EmbeddedServerStatus[]> {
  const found: EmbeddedServerStatus[] = []
  for (const paths of embeddedServersIn(cacheDir)) {
    const status = await statusOf(paths)
    if (status) found.push(status)
  }
  return found
}
