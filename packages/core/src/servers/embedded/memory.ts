/**
 * The embedded server's data folder in memory: `<memoryDir>/pgtestbed-<uid>-<hash>/pg<major>/data`,
 * one folder ("memory root") per cache folder, so two workspaces never share a cluster. The cache
 * folder keeps the state, lock, leases and log, plus `memory.json` naming the data folder, so
 * stopping and cleaning up find it whatever `memoryDir` was. The memory root holds `owner.json`
 * naming its cache folder: a memory root whose cache folder is gone is an orphan, removed by the
 * next start that looks.
 */
import { createHash } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import type { ServerPaths } from './paths.js'
import { isPostmasterOf, readPostmasterPid } from './process.js'
import type { OsUser } from './user.js'

/** What `memory.json` (in the server folder) records. */
export interface MemoryRecord {
  /** The server folder this record belongs to (a copied cache folder must not use it). */
  serverRoot: string
  /** `<memoryDir>/pgtestbed-<uid>-<hash>`. */
  memoryRoot: string
  /** `<memoryRoot>/pg<major>/data`. */
  dataDir: string
}

const OWNER_FILE = 'owner.json'
const ROOT_NAME = /^pgtestbed-(\d+)-[0-9a-f]{12}$/

function currentUid(): number {
  return process.getuid?.() ?? 0
}

/**
 * The memory root of a cache folder: `<memoryDir>/pgtestbed-<uid>-<12 hex of its path's SHA-256>`.
 *
 * @example
 * memoryRootFor('/dev/shm', '/repo/node_modules/.cache/pgtestbed') // '/dev/shm/pgtestbed-1000-3f2a…'
 */
export function memoryRootFor(memoryDir: string, cacheDir: string): string {
  const hash = createHash('sha256').update(path.resolve(cacheDir)).digest('hex').slice(0, 12)
  return path.join(memoryDir, `pgtestbed-${currentUid()}-${hash}`)
}

/** The data folder in memory for `paths` under `memoryDir`. */
export function memoryDataDirFor(paths: ServerPaths, memoryDir: string): string {
  return path.join(memoryRootFor(memoryDir, paths.cacheDir), `pg${paths.major}`, 'data')
}

/** The recorded data folder in memory of this server folder, if any (and if it is this folder's). */
export function readMemoryRecord(paths: ServerPaths): MemoryRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(paths.memoryFile, 'utf8')) as MemoryRecord
    return record.serverRoot === paths.root && typeof record.dataDir === 'string'
      ? record
      : undefined
  } catch {
    return undefined
  }
}

function writeJson(file: string, value: unknown): void {
  const temporary = `${file}.tmp-${process.pid}`
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`)
  renameSync(temporary, file)
}

/**
 * Makes `dir` (if missing) and checks it is a real folder (not a link planted in a shared,
 * world-writable folder) owned by us or the server's user; then hands it to the server's user,
 * mode 0700.
 */
async function ownedFolder(dir: string, user: OsUser | undefined): Promise<void> {
  await fs.mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
  const stat = lstatSync(dir)
  const allowed = [currentUid(), ...(user ? [user.uid] : [])]
  if (!stat.isDirectory() || !allowed.includes(stat.uid)) {
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `${dir} is not a folder owned by this user (uid ${stat.uid}${stat.isSymbolicLink() ? ', a symbolic link' : ''}); pgtestbed will not keep a database there`,
      { fix: `Remove ${dir}, or use embedded.storage 'disk' (PGTESTBED_EMBEDDED_STORAGE=disk).` },
    )
  }
  if (user && stat.uid !== user.uid) await fs.chown(dir, user.uid, user.gid)
  if ((stat.mode & 0o777) !== 0o700) await fs.chmod(dir, 0o700)
}

/**
 * Creates the memory root and `pg<major>` folder for `paths` (owned by the server's user, 0700),
 * records the data folder in `memory.json`, and returns it. The data folder itself is made by
 * initdb. Call under the server lock.
 *
 * @throws PgtestbedError `EMBEDDED_START_FAILED` when the folders cannot be made or are not ours.
 */
export async function prepareMemoryDataDir(
  paths: ServerPaths,
  memoryDir: string,
  user: OsUser | undefined,
): Promise<string> {
  const memoryRoot = memoryRootFor(memoryDir, paths.cacheDir)
  const dataDir = path.join(memoryRoot, `pg${paths.major}`, 'data')
  try {
    await ownedFolder(memoryRoot, user)
    await ownedFolder(path.dirname(dataDir), user)
    const owner = path.join(memoryRoot, OWNER_FILE)
    if (!existsSync(owner)) writeJson(owner, { cacheDir: paths.cacheDir, uid: currentUid() })
    writeJson(paths.memoryFile, { serverRoot: paths.root, memoryRoot, dataDir })
  } catch (cause) {
    if (cause instanceof PgtestbedError) throw cause
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `cannot create the embedded server's data folder in memory ${memoryRoot}: ${(cause as Error).message}`,
      { cause, fix: "Use embedded.storage 'disk' (PGTESTBED_EMBEDDED_STORAGE=disk)." },
    )
  }
  return dataDir
}

/** True when a live postgres serves a data folder under `memoryRoot`. */
export function isMemoryRootInUse(memoryRoot: string): boolean {
  let entries: string[]
  try {
    entries = readdirSync(memoryRoot)
  } catch {
    return false
  }
  return entries.some((name) => {
    const dataDir = path.join(memoryRoot, name, 'data')
    const postmaster = /^pg\d+$/.test(name) ? readPostmasterPid(dataDir) : undefined
    return postmaster !== undefined && isPostmasterOf(postmaster.pid, dataDir)
  })
}

/**
 * This OS user's memory roots under `memoryDir` (`<memoryDir>/pgtestbed-<uid>-<hash>`), sorted.
 * Other users' roots are theirs: never counted, never touched.
 */
export function memoryRootsOf(memoryDir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(memoryDir)
  } catch {
    return []
  }
  return names
    .filter((name) => Number(ROOT_NAME.exec(name)?.[1]) === currentUid())
    .sort()
    .map((name) => path.join(memoryDir, name))
}

/** The cache folder `owner.json` names, or `undefined` when it is missing or unreadable. */
export function memoryRootOwner(memoryRoot: string): string | undefined {
  try {
    const owner = JSON.parse(readFileSync(path.join(memoryRoot, OWNER_FILE), 'utf8')) as {
      cacheDir?: unknown
    }
    return typeof owner.cacheDir === 'string' ? owner.cacheDir : undefined
  } catch {
    return undefined
  }
}

/**
 * When the memory root was last used: `owner.json`'s modification time, which every start,
 * attach and release of its server refreshes ({@link touchMemoryRoot}); the memory budget
 * evicts the least recently used first.
 */
export function memoryRootLastUsed(memoryRoot: string): Date | undefined {
  try {
    return statSync(path.join(memoryRoot, OWNER_FILE)).mtime
  } catch {
    return undefined
  }
}

/** Records that the server of `memoryRoot` is being used now (best effort). */
export function touchMemoryRoot(memoryRoot: string): void {
  const now = new Date()
  try {
    utimesSync(path.join(memoryRoot, OWNER_FILE), now, now)
  } catch {
    // Not ours to touch, or gone: the budget then sees an older last use, nothing worse.
  }
}

/** The memory root of a data folder in memory (`<memoryRoot>/pg<major>/data`). */
export function memoryRootOfDataDir(dataDir: string): string {
  return path.dirname(path.dirname(dataDir))
}

/**
 * Removes memory roots of this OS user under `memoryDir` whose cache folder no longer exists (a
 * test's temp cache folder, a deleted `node_modules`) and that no live server uses. Roots without
 * an owner file are left alone: pgtestbed cannot tell whose they are. Returns what it removed.
 */
export async function sweepOrphanMemoryRoots(memoryDir: string): Promise<string[]> {
  const removed: string[] = []
  for (const memoryRoot of memoryRootsOf(memoryDir)) {
    const cacheDir = memoryRootOwner(memoryRoot)
    if (cacheDir === undefined || existsSync(path.join(cacheDir, 'embedded'))) continue
    if (isMemoryRootInUse(memoryRoot)) continue
    await fs.rm(memoryRoot, { recursive: true, force: true })
    removed.push(memoryRoot)
  }
  return removed
}

/**
 * Deletes the data folder in memory recorded for `paths` (and its memory root once no other
 * PostgreSQL major uses it), and the record. The server must be stopped. Returns the data folder
 * removed, if there was one.
 */
export async function removeMemoryDataDir(paths: ServerPaths): Promise<string | undefined> {
  const record = readMemoryRecord(paths)
  if (!record) return undefined
  const existed = existsSync(record.dataDir)
  await fs.rm(path.dirname(record.dataDir), { recursive: true, force: true })
  const rest = await fs.readdir(record.memoryRoot).catch(() => [] as string[])
  if (!rest.some((name) => /^pg\d+$/.test(name))) {
    await fs.rm(record.memoryRoot, { recursive: true, force: true })
  }
  await fs.rm(paths.memoryFile, { force: true })
  return existed ? record.dataDir : undefined
}
