import { existsSync } from 'node:fs'
import path from 'node:path'
import { readMemoryRecord } from '../servers/embedded/memory.js'
import { embeddedServersIn, type ServerPaths } from '../servers/embedded/paths.js'
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
  const status: EmbeddedServerStatus = {
    major: paths.major,
    cacheDir: paths.cacheDir,
    running: running !== undefined,
    dataDir,
    storage: dataDir === memory ? 'memory' : 'disk',
    attached: attachedPids(paths),
    databases: [],
    logFile: paths.logFile,
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
