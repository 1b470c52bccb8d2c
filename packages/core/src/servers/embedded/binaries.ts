import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import type { Reporter } from '../../progress.js'
import {
  locateBinariesPackage,
  pgVersionOf,
  type EmbeddedMajorVersion,
} from './binaries-package.js'
import type { OsUser } from './user.js'

/** The PostgreSQL programs the embedded server runs. */
export interface EmbeddedBinaries {
  /** The `native` folder holding `bin/`, `lib/` and `share/`. */
  nativeDir: string
  postgres: string
  initdb: string
  /** The PostgreSQL version the binaries are, e.g. `'17.10'`. */
  version: string
  majorVersion: number
}

const NO_EMBEDDED_FIX =
  'Set PGTESTBED_URL to a PostgreSQL server you can reach, or use Docker (server: "docker").'

interface SymlinkEntry {
  /** The existing file, relative to the package folder (`native/lib/libpq.so.5.17`). */
  source: string
  /** The link to create, relative to the package folder (`native/lib/libpq.so.5`). */
  target: string
}

/**
 * Recreates the shared-library symlinks listed in `native/pg-symlinks.json` (npm tarballs cannot
 * hold symlinks; the package's postinstall, which pnpm does not run by default, would create
 * them). Idempotent, and safe when several processes run it at once: each link is made under a
 * unique temporary name and renamed into place, so a reader never sees a half-made link.
 *
 * @throws the file-system error when the folder is not writable (the caller falls back to a copy).
 */
export async function hydrateSymlinks(packageDir: string): Promise<void> {
  let entries: SymlinkEntry[]
  try {
    entries = JSON.parse(
      await fs.readFile(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8'),
    )
  } catch {
    return // Windows packages have no symlinks to restore.
  }
  for (const { source, target } of entries) {
    const link = path.join(packageDir, target)
    const pointsTo = path.relative(path.dirname(link), path.join(packageDir, source))
    const existing = await fs.readlink(link).catch(() => undefined)
    if (existing === pointsTo) continue
    const temporary = `${link}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    await fs.symlink(pointsTo, temporary)
    try {
      await fs.rename(temporary, link)
    } catch (error) {
      await fs.rm(temporary, { force: true })
      throw error
    }
  }
}

/** The exit status and output of `postgres --version` as `user`, or the error text. */
function probe(postgres: string, user: OsUser | undefined): { ok: boolean; output: string } {
  const result = spawnSync(postgres, ['--version'], {
    encoding: 'utf8',
    timeout: 30_000,
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  })
  const output = result.error ? result.error.message : `${result.stdout}${result.stderr}`.trim()
  return { ok: result.status === 0 && /PostgreSQL/.test(result.stdout), output }
}

function binariesIn(nativeDir: string, version: string): EmbeddedBinaries {
  const exe = process.platform === 'win32' ? '.exe' : ''
  return {
    nativeDir,
    postgres: path.join(nativeDir, 'bin', `postgres${exe}`),
    initdb: path.join(nativeDir, 'bin', `initdb${exe}`),
    version,
    majorVersion: Number(version.split('.')[0]),
  }
}

/**
 * Copies the package's `native` folder to `destination` (world-readable, symlinks hydrated),
 * once: the copy is made under a temporary name and renamed into place, so concurrent processes
 * either see a complete copy or make their own and discard it.
 */
async function copyNative(packageDir: string, destination: string): Promise<void> {
  await fs.mkdir(path.dirname(destination), { recursive: true, mode: 0o755 })
  // Never run binaries someone else could have put or swapped there (the temp folder is shared).
  const me = process.getuid?.()
  for (const dir of [path.dirname(destination), destination]) {
    const owner = (await fs.stat(dir).catch(() => undefined))?.uid
    if (me !== undefined && owner !== undefined && owner !== me) {
      throw new Error(`${dir} belongs to another user (uid ${owner}); remove it`)
    }
  }
  if (await fs.stat(path.join(destination, 'native', 'bin')).catch(() => undefined)) return
  const temporary = `${destination}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await fs.mkdir(temporary, { mode: 0o755 })
    await fs.cp(path.join(packageDir, 'native'), path.join(temporary, 'native'), {
      recursive: true,
      verbatimSymlinks: true,
    })
    await hydrateSymlinks(temporary)
    await fs.chmod(temporary, 0o755)
    await fs.rename(temporary, destination)
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true })
    // Someone else finished first: use theirs.
    if (await fs.stat(path.join(destination, 'native', 'bin')).catch(() => undefined)) return
    throw error
  }
}

/** Options for {@link prepareBinaries}. */
export interface PrepareBinariesOptions {
  /** pgtestbed's cache folder; a writable copy of the binaries goes there when needed. */
  cacheDir: string
  /** The account the server runs as (root only); it must be able to run the binaries. */
  user: OsUser | undefined
  reporter: Reporter
  /** The PostgreSQL major to run. Default: `DEFAULT_EMBEDDED_MAJOR_VERSION` (18). */
  majorVersion?: EmbeddedMajorVersion
  /** The project folder, searched first for the binaries package. Default: `process.cwd()`. */
  cwd?: string
  /** The platform package folder. Default: found by `locateBinariesPackage`. */
  packageDir?: string
}

const prepared = new Map<string, EmbeddedBinaries>()

/**
 * Finds the embedded PostgreSQL binaries and makes them runnable: restores their shared-library
 * symlinks (in place, or in a copy under `cacheDir` when the package folder is read-only) and,
 * when the server runs as another OS user, checks that user can run them; if it cannot (a checkout
 * under a private home folder), uses a world-readable copy under the OS temp folder instead.
 *
 * @throws PgtestbedError `EMBEDDED_BINARIES_MISSING` when no binaries of the major are installed,
 * `EMBEDDED_START_FAILED` for an unsupported platform or binaries that do not run (the output of `postgres --version` is in the message).
 */
export async function prepareBinaries(options: PrepareBinariesOptions): Promise<EmbeddedBinaries> {
  const packageDir =
    options.packageDir ??
    locateBinariesPackage({
      ...(options.majorVersion === undefined ? {} : { majorVersion: options.majorVersion }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    })
  const memo = `${packageDir}\0${options.cacheDir}\0${options.user?.uid ?? ''}`
  const known = prepared.get(memo)
  if (known) return known

  const version = await readVersion(packageDir)
  let nativeDir = path.join(packageDir, 'native')
  try {
    await hydrateSymlinks(packageDir)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw failed(cause, nativeDir)
    const copy = path.join(options.cacheDir, 'binaries', `${path.basename(packageDir)}-${version}`)
    await copyNative(packageDir, copy).catch((error) => {
      throw failed(error, nativeDir)
    })
    nativeDir = path.join(copy, 'native')
  }

  let binaries = binariesIn(nativeDir, version)
  let check = probe(binaries.postgres, options.user)
  // Runs for us but not for the server's account: the account cannot reach the files.
  if (!check.ok && options.user && probe(binaries.postgres, undefined).ok) {
    const copy = path.join(
      os.tmpdir(),
      'pgtestbed-binaries',
      `${path.basename(packageDir)}-${version}`,
    )
    options.reporter.info(
      `the OS user "${options.user.name}" cannot reach the PostgreSQL binaries under ${packageDir} (a parent folder is private); using a copy in ${copy}`,
    )
    await copyNative(packageDir, copy).catch((error) => {
      throw failed(error, nativeDir)
    })
    binaries = binariesIn(path.join(copy, 'native'), version)
    check = probe(binaries.postgres, options.user)
  }
  if (!check.ok) {
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `the embedded PostgreSQL binaries in ${binaries.nativeDir} do not run${options.user ? ` as the OS user "${options.user.name}"` : ''}: ${check.output}`,
      { fix: NO_EMBEDDED_FIX },
    )
  }
  prepared.set(memo, binaries)
  return binaries
}

async function readVersion(packageDir: string): Promise<string> {
  const manifest = JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8'))
  return pgVersionOf(String(manifest.version))
}

function failed(cause: unknown, nativeDir: string): PgtestbedError {
  return new PgtestbedError(
    'EMBEDDED_START_FAILED',
    `could not prepare the embedded PostgreSQL binaries in ${nativeDir}: ${(cause as Error)?.message ?? cause}`,
    { cause, fix: NO_EMBEDDED_FIX },
  )
}
