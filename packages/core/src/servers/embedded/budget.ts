/**
 * The memory budget: how much of the RAM-backed folder (`/dev/shm`) the embedded servers of this OS
 * user may fill, across every workspace of the machine (every memory root, see `memory.ts`).
 *
 * A data folder in memory is a cache: a stopped server's cluster is re-created by its next start
 * (initdb, then its templates are built once). So when the memory roots together take more than
 * the budget, pgtestbed evicts, least recently used first, what nobody uses:
 * - the whole memory root of a STOPPED server (another workspace's, or an older major of this one),
 *   under that server's lock, unless it holds databases kept for debugging (`kept.json`);
 * - templates of older fingerprints on the server of this run (the testbed layer adds those).
 * A running server's data, its in-use templates, live clones and kept databases are never
 * evicted; when they alone exceed the budget, pgtestbed says so and goes on.
 *
 * Last use: a memory root's `owner.json` mtime (refreshed at every start, attach and release); a
 * template's `usedAt` in its ownership record.
 * @module
 */
import {
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
  type Dirent,
} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import type { Reporter } from '../../progress.js'
import {
  isMemoryRootInUse,
  memoryRootLastUsed,
  memoryRootOwner,
  memoryRootsOf,
  readMemoryRecord,
} from './memory.js'
import { readKeptRecord } from './kept.js'
import { embeddedServersIn, type ServerPaths } from './paths.js'
import { liveLeases, withServerLock } from './share.js'
import { formatBytes } from './storage.js'

/**
 * `embedded.memoryBudget`: a number of bytes, a size (`'512MB'`, `'2GB'`: units `kB`, `MB`, `GB`,
 * `TB`, 1024-based as in `postgresql.conf`; `KiB`, `MiB`, `GiB`, `TiB` too), or a share of the
 * memory folder's size (`'25%'`).
 *
 * @example
 * await startTestbed({ embedded: { memoryBudget: '1GB' } })
 */
export type MemoryBudget = number | string

/** Default `embedded.memoryBudget`: a quarter of the memory folder (`/dev/shm` is half the RAM). */
export const DEFAULT_MEMORY_BUDGET: MemoryBudget = '25%'

/** The environment variable that overrides `embedded.memoryBudget`. */
export const MEMORY_BUDGET_ENV = 'PGTESTBED_EMBEDDED_MEMORY_BUDGET'

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
}

type ParsedBudget = { bytes: number } | { share: number }

function parseBudget(value: unknown): ParsedBudget | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? { bytes: Math.floor(value) } : undefined
  }
  if (typeof value !== 'string') return undefined
  const share = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value)
  if (share) {
    const percent = Number(share[1])
    return percent <= 100 ? { share: percent / 100 } : undefined
  }
  const size = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = UNITS[(size?.[2] || 'b').toLowerCase()]
  return size && unit !== undefined ? { bytes: Math.floor(Number(size[1]) * unit) } : undefined
}

/**
 * True for a value `embedded.memoryBudget` accepts (config files are checked with it).
 *
 * @example
 * isMemoryBudget('1GB') // true
 * isMemoryBudget('lots') // false
 */
export function isMemoryBudget(value: unknown): boolean {
  return parseBudget(value) !== undefined
}

/** Size and free space of the file system holding `dir`, or `undefined` when it cannot be read. */
export interface MemorySpace {
  /** Its size in bytes (0 for a ramfs, which has none). */
  size: number
  free: number
}

/** {@link MemorySpace} of `dir` (statfs). */
export function memorySpace(dir: string): MemorySpace | undefined {
  try {
    const stats = statfsSync(dir)
    return { size: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize }
  } catch {
    return undefined
  }
}

/**
 * The budget in bytes: `PGTESTBED_EMBEDDED_MEMORY_BUDGET` when set, else the option, else
 * {@link DEFAULT_MEMORY_BUDGET}. A share is of `memoryDir`'s size (half the RAM for a ramfs,
 * which has no size).
 *
 * @throws PgtestbedError `INVALID_OPTIONS` for a value that is not a size or a share.
 * @example
 * resolveMemoryBudget('1GB', '/dev/shm') // 1073741824
 * resolveMemoryBudget(undefined, '/dev/shm') // a quarter of /dev/shm's size
 */
export function resolveMemoryBudget(
  option: MemoryBudget | undefined,
  memoryDir: string,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const fromEnv = env[MEMORY_BUDGET_ENV] || undefined
  const value = fromEnv ?? option ?? DEFAULT_MEMORY_BUDGET
  const parsed = parseBudget(value)
  if (parsed === undefined) {
    const where = fromEnv === undefined ? 'embedded.memoryBudget' : MEMORY_BUDGET_ENV
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `${where} must be a number of bytes, a size such as '1GB' or a share of ${memoryDir} such as '25%', not ${JSON.stringify(value)}`,
      { fix: `Use ${where}=${DEFAULT_MEMORY_BUDGET} (the default), 512MB or 2GB, for example.` },
    )
  }
  if ('bytes' in parsed) return parsed.bytes
  const size = memorySpace(memoryDir)?.size || os.totalmem() / 2
  return Math.floor(size * parsed.share)
}

/** Bytes a folder takes on its file system (allocated blocks, not apparent sizes). */
function folderBytes(dir: string): number {
  let total = 0
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    const file = path.join(dir, entry.name)
    try {
      if (entry.isDirectory()) total += folderBytes(file)
      total += lstatSync(file).blocks * 512
    } catch {
      // Gone meanwhile (a dropped database, a recycled WAL segment).
    }
  }
  return total
}

/** One memory root of this OS user, as the budget and `pgtestbed server status` see it. */
export interface MemoryRootUsage {
  /** `<memoryDir>/pgtestbed-<uid>-<hash>`. */
  memoryRoot: string
  /** The cache folder it belongs to (`owner.json`); `undefined` when unknown (never evicted). */
  cacheDir: string | undefined
  /** Bytes it takes in memory. */
  bytes: number
  /** Its last start, attach or release (ISO time), when known. */
  lastUsed: string | undefined
  /** True while a PostgreSQL server runs on it (never evicted). */
  running: boolean
  /** Databases kept for debugging on it, recorded when its server stopped (never evicted). */
  kept: string[]
}

/** The server folders of a memory root's cache folder (one per PostgreSQL major). */
function serversOf(cacheDir: string): ServerPaths[] {
  return embeddedServersIn(cacheDir).filter((paths) => paths.cacheDir === cacheDir)
}

/** Every memory root of this OS user under `memoryDir`, with its size, last use and state. */
export function memoryUsage(memoryDir: string): MemoryRootUsage[] {
  return memoryRootsOf(memoryDir).map((memoryRoot) => {
    const cacheDir = memoryRootOwner(memoryRoot)
    return {
      memoryRoot,
      cacheDir,
      bytes: folderBytes(memoryRoot),
      lastUsed: memoryRootLastUsed(memoryRoot)?.toISOString(),
      running: isMemoryRootInUse(memoryRoot),
      kept: cacheDir === undefined ? [] : serversOf(cacheDir).flatMap(readKeptRecord),
    }
  })
}

/** Runs `fn` holding the locks of every server folder in `list`, or returns false when one is busy. */
async function withLocks(list: ServerPaths[], fn: () => Promise<boolean>): Promise<boolean> {
  const [first, ...rest] = list
  if (first === undefined) return fn()
  try {
    return await withServerLock(first, 1000, () => withLocks(rest, fn))
  } catch (error) {
    if (error instanceof PgtestbedError) return false
    throw error
  }
}

/**
 * Deletes a stopped server's memory root (a cache: its next start runs initdb and rebuilds its
 * templates), under its server's lock, and leaves `evicted.json` in its server folder so that
 * start says why its data is gone. Returns false, touching nothing, when the root is in use, holds
 * kept databases, belongs to an unknown cache folder or its server is being started right now.
 */
async function evictMemoryRoot(usage: MemoryRootUsage, reason: string): Promise<boolean> {
  const cacheDir = usage.cacheDir
  if (cacheDir === undefined) return false
  const servers = serversOf(cacheDir)
  return withLocks(servers, async () => {
    if (isMemoryRootInUse(usage.memoryRoot)) return false
    if (servers.some((paths) => liveLeases(paths).length > 0 || readKeptRecord(paths).length > 0)) {
      return false
    }
    for (const paths of servers) {
      if (readMemoryRecord(paths)?.memoryRoot !== usage.memoryRoot) continue
      await fs.rm(paths.memoryFile, { force: true })
      writeFileSync(
        paths.evictedFile,
        `${JSON.stringify({ at: new Date().toISOString(), bytes: usage.bytes, memoryRoot: usage.memoryRoot, reason }, null, 2)}\n`,
      )
    }
    await fs.rm(usage.memoryRoot, { recursive: true, force: true })
    return true
  })
}

/** Why the budget evicted this server's data, if it did since its last start (and forgets it). */
export function takeEvictionNotice(paths: ServerPaths): string | undefined {
  let record: { at?: unknown; reason?: unknown }
  try {
    record = JSON.parse(readFileSync(paths.evictedFile, 'utf8')) as typeof record
  } catch {
    return undefined
  }
  rmSync(paths.evictedFile, { force: true })
  return `the embedded server's data in memory was evicted${typeof record.at === 'string' ? ` at ${record.at}` : ''} while it was stopped (${typeof record.reason === 'string' ? record.reason : 'memory budget'}): creating it again; templates are rebuilt once`
}

/** Something the budget may evict, with what it frees and when it was last used. */
export interface EvictionCandidate {
  /** What the progress line calls it. */
  label: string
  bytes: number
  /** Last use (ms since the epoch): the least recently used goes first. */
  lastUsed: number
  /** Evicts it; false when it turned out to be in use (nothing was removed). */
  evict(): Promise<boolean>
}

/** Options of {@link enforceMemoryBudget}. */
export interface EnforceMemoryBudgetOptions {
  memoryDir: string
  /** The budget in bytes ({@link resolveMemoryBudget}). */
  budget: number
  /** Says what was evicted and how much it freed. */
  reporter: Reporter
  /** Memory roots never evicted (the one of the server being started). Default: none. */
  spare?: readonly string[]
  /**
   * More candidates (the templates of older fingerprints on the running server), asked for only
   * when the memory roots exceed the budget.
   */
  more?: () => Promise<EvictionCandidate[]>
}

/** What {@link enforceMemoryBudget} did. */
export interface MemoryBudgetReport {
  /** Bytes the memory roots took before eviction (0 when not measured: within budget). */
  used: number
  budget: number
  /** Labels of what was evicted, least recently used first. */
  evicted: string[]
  freed: number
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.round(minutes / 60)
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`
}

/** The stopped servers' memory roots the budget may evict, as candidates. */
function stoppedRoots(
  usage: readonly MemoryRootUsage[],
  spare: readonly string[],
  reason: string,
): EvictionCandidate[] {
  const now = Date.now()
  return usage
    .filter(
      (root) =>
        !root.running &&
        root.cacheDir !== undefined &&
        root.kept.length === 0 &&
        !spare.includes(root.memoryRoot),
    )
    .map((root) => {
      const lastUsed = Date.parse(root.lastUsed ?? '') || 0
      return {
        label: `the stopped server of ${root.cacheDir} (${formatBytes(root.bytes)}, last used ${ago(now - lastUsed)} ago)`,
        bytes: root.bytes,
        lastUsed,
        evict: () => evictMemoryRoot(root, reason),
      }
    })
}

/** Evicts `candidates`, least recently used first, until `enough(freed)`; returns what it evicted. */
async function evictUntil(
  candidates: EvictionCandidate[],
  enough: (freed: number) => boolean,
): Promise<{ evicted: string[]; freed: number }> {
  const done = { evicted: [] as string[], freed: 0 }
  for (const candidate of [...candidates].sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (enough(done.freed)) break
    if (!(await candidate.evict())) continue
    done.evicted.push(candidate.label)
    done.freed += candidate.bytes
  }
  return done
}

/**
 * Keeps this OS user's data in `memoryDir` within `budget`: when the memory roots together take
 * more, evicts what nobody uses (stopped servers' memory roots, and whatever `more` offers), least
 * recently used first, until they fit, and says so through `reporter`. Cheap when within budget:
 * the folders are measured only when the whole file system holds more than the budget.
 *
 * @example
 * await enforceMemoryBudget({ memoryDir: '/dev/shm', budget: 1024 ** 3, reporter })
 */
export async function enforceMemoryBudget(
  options: EnforceMemoryBudgetOptions,
): Promise<MemoryBudgetReport> {
  const { memoryDir, budget, reporter } = options
  const report: MemoryBudgetReport = { used: 0, budget, evicted: [], freed: 0 }
  const space = memorySpace(memoryDir)
  // The whole tmpfs holds less than the budget: so do our folders in it.
  if (space && space.size > 0 && space.size - space.free <= budget) return report
  const usage = memoryUsage(memoryDir)
  report.used = usage.reduce((sum, root) => sum + root.bytes, 0)
  if (report.used <= budget) return report

  const reason = `memory budget ${formatBytes(budget)}`
  const candidates = stoppedRoots(usage, options.spare ?? [], reason)
  if (options.more) candidates.push(...(await options.more()))
  Object.assign(report, await evictUntil(candidates, (freed) => report.used - freed <= budget))
  const left = report.used - report.freed
  const inUse = 'running servers, their current templates, kept databases'
  const over =
    left > budget ? `; still ${formatBytes(left - budget)} over: the rest is in use (${inUse})` : ''
  if (report.evicted.length > 0) {
    reporter.info(
      `pgtestbed's data in ${memoryDir} took ${formatBytes(report.used)}, more than its ${reason} (embedded.memoryBudget): evicted ${report.evicted.join(', ')}; freed ${formatBytes(report.freed)}${over}`,
    )
  } else if (over) {
    reporter.info(
      `pgtestbed's data in ${memoryDir} takes ${formatBytes(report.used)}, more than its ${reason} (embedded.memoryBudget), and all of it is in use (${inUse}); \`pgtestbed server status\` shows it`,
    )
  }
  return report
}

/**
 * Before a new cluster is made in `memoryDir`: when it has less than `needFree` bytes free,
 * evicts stopped servers' memory roots (least recently used first, whatever the budget) until it
 * has, and says so. The caller decides what to do when that is not enough.
 */
export async function makeRoomInMemory(
  memoryDir: string,
  needFree: number,
  reporter: Reporter,
): Promise<void> {
  const space = memorySpace(memoryDir)
  if (!space || space.size === 0 || space.free >= needFree) return
  const free = space.free
  const candidates = stoppedRoots(memoryUsage(memoryDir), [], `${memoryDir} short of space`)
  const done = await evictUntil(candidates, (freed) => free + freed >= needFree)
  if (done.evicted.length > 0) {
    reporter.info(
      `${memoryDir} had ${formatBytes(free)} free, less than the ${formatBytes(needFree)} a new cluster wants: evicted ${done.evicted.join(', ')}; freed ${formatBytes(done.freed)}`,
    )
  }
}
