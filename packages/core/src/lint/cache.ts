/**
 * The lint cache: findings of one migrations folder, reused while nothing that shapes them
 * changed, so a test run or a pre-commit hook that does not touch the migrations never loads the
 * SQL parser. One JSON file per migrations folder and pgtestbed build in `<cacheDir>/lint/`.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Diagnostic } from '../diagnostics.js'
import type { MigrationSet } from '../migrations/types.js'
import { lintMigrations } from './run.js'
import { resolveLintRules } from './settings.js'
import type { LintOptions } from './types.js'

/** The folder inside pgtestbed's cache folder that holds the lint cache. */
export const LINT_CACHE_FOLDER = 'lint'

/** What {@link lintWithCache} returns. */
export interface CachedLint {
  diagnostics: Diagnostic[]
  /** True when the findings came from the cache (nothing was parsed). */
  cached: boolean
}

/** The code that produced an entry: a built module and its modification time. */
interface Build {
  file: string
  mtimeMs: number
}

interface CacheEntry {
  key: string
  build: Build
  diagnostics: Diagnostic[]
}

/**
 * Identifies the code that lints: this module's file (the built bundle: the CLI, the ESM and the
 * CJS entries are each one) and its modification time, so a rebuild or an upgrade never serves
 * findings of older rules.
 */
function currentBuild(): Build {
  const file = fileURLToPath(import.meta.url)
  try {
    return { file, mtimeMs: statSync(file).mtimeMs }
  } catch {
    // No file to stat (an unusual bundler): a stamp that never matches, so nothing is reused.
    return { file, mtimeMs: Date.now() + Math.random() }
  }
}

const hex = (text: string, length: number) =>
  createHash('sha256').update(text).digest('hex').slice(0, length)

/**
 * The cache key: the build, the lint settings and every byte of every file that shapes the set.
 * Lint findings depend on all earlier migrations (a table is "existing" when an earlier file
 * created it), so any change anywhere invalidates the whole entry; a commit that does not touch
 * the migrations keeps it.
 */
function cacheKey(set: MigrationSet, options: LintOptions, build: Build): string {
  const hash = createHash('sha256')
  hash.update(
    `pgtestbed-lint-cache v2\0${build.file}:${build.mtimeMs}\0${set.format}\0${set.dir}\0`,
  )
  hash.update(JSON.stringify(resolveLintRules(options.rules)))
  hash.update(JSON.stringify(options.overrides ?? []))
  for (const file of set.files) {
    hash.update(`\0${file}\0`)
    hash.update(readFileSync(file))
  }
  return hash.digest('hex')
}

/**
 * The cache file of one migrations folder for a build: `<cacheDir>/lint/<folder hash>-<build
 * hash>.json`. Each build has its own file, so the CLI (one bundle) and a test plugin (another)
 * do not evict each other's findings.
 */
function cacheFileFor(cacheDir: string, migrationsDir: string, build: Build): string {
  return path.join(
    cacheDir,
    LINT_CACHE_FOLDER,
    `${hex(path.resolve(migrationsDir), 16)}-${hex(build.file, 8)}.json`,
  )
}

/**
 * Deletes the entries of `migrationsDir` written by builds that no longer exist or were rebuilt
 * since (their file is gone or has another modification time): they can never match again.
 */
function removeStaleEntries(folder: string, migrationsDir: string, keep: string): void {
  const prefix = `${hex(path.resolve(migrationsDir), 16)}-`
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch {
    return
  }
  for (const name of names) {
    const file = path.join(folder, name)
    if (!name.startsWith(prefix) || !name.endsWith('.json') || file === keep) continue
    try {
      const { build } = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheEntry>
      if (build && statSync(build.file).mtimeMs === build.mtimeMs) continue
    } catch {
      // Unreadable, or its build is gone: stale.
    }
    rmSync(file, { force: true })
  }
}

/**
 * Lints `set`, reusing the findings of the last run when nothing that shapes them changed (the
 * same files, byte for byte, the same lint settings and the same pgtestbed build); a hit never
 * loads the SQL parser. The cache is an optimisation only: an unreadable or unwritable cache
 * folder is ignored, and concurrent runs never read half a file. `cacheDir: undefined` lints
 * without it.
 *
 * @example
 * const { diagnostics, cached } = await lintWithCache(set, {}, resolveCacheDir())
 */
export async function lintWithCache(
  set: MigrationSet,
  options: LintOptions,
  cacheDir: string | undefined,
): Promise<CachedLint> {
  if (cacheDir === undefined) {
    return { diagnostics: await lintMigrations(set, options), cached: false }
  }
  const build = currentBuild()
  const cacheFile = cacheFileFor(cacheDir, set.dir, build)
  let key: string | undefined
  try {
    key = cacheKey(set, options, build)
    const entry = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheEntry
    if (entry.key === key && Array.isArray(entry.diagnostics)) {
      return { diagnostics: entry.diagnostics, cached: true }
    }
  } catch {
    // No entry yet, or an unreadable one: lint below.
  }
  const diagnostics = await lintMigrations(set, options)
  if (key !== undefined) {
    const folder = path.dirname(cacheFile)
    const temporary = `${cacheFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      mkdirSync(folder, { recursive: true })
      writeFileSync(temporary, JSON.stringify({ key, build, diagnostics } satisfies CacheEntry))
      // Renamed into place, so a concurrent run never reads half a file.
      renameSync(temporary, cacheFile)
      removeStaleEntries(folder, set.dir, cacheFile)
    } catch {
      // Unwritable (read-only, full, not a folder): lint works without the cache.
      try {
        rmSync(temporary, { force: true })
      } catch {
        // Nothing was written.
      }
    }
  }
  return { diagnostics, cached: false }
}
