import { stat } from 'node:fs/promises'
import path from 'node:path'
import { DEFAULT_MIGRATIONS_DIR, type MigrationsOptions } from '../types.js'
import { type Diagnostic, displayPath, hasErrors } from '../../diagnostics.js'
import { PgtestbedError } from '../../errors.js'
import { detectFormat } from './detect.js'
import { getFormatModule } from './formats/index.js'
import { atomicWriterEntries } from './kubernetes-mount.js'
import { readMigrationFile } from './read-file.js'
import { rememberSourceTexts } from './source-texts.js'
import { walkMigrationsFolder, type FolderListing } from './walk.js'
import type { FormatContext, FormatModule } from './formats/types.js'
import {
  MIGRATION_FORMATS,
  type MigrationFormat,
  type MigrationSet,
  type VersionTable,
} from '../types.js'
import { validateMigrations } from './validate.js'

function checkOptions(options: MigrationsOptions): void {
  const fail = (message: string, fix: string) => {
    throw new PgtestbedError('INVALID_OPTIONS', message, { fix })
  }
  for (const key of ['migrations', 'table', 'schema', 'cwd'] as const) {
    const value = options[key]
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      fail(
        `option \`${key}\` must be a non-empty string, got ${JSON.stringify(value)}`,
        `set \`${key}\` to a string or leave it out`,
      )
    }
  }
  const format = options.format
  if (format !== undefined && format !== 'auto' && !MIGRATION_FORMATS.includes(format)) {
    fail(
      `option \`format\` is ${JSON.stringify(format)}, which is not a migration format pgtestbed reads`,
      `set \`format\` to 'auto' or one of ${MIGRATION_FORMATS.map((f) => `'${f}'`).join(', ')}`,
    )
  }
}

/**
 * A reader that reads each file once, however many modules peek at it. It reads synchronously:
 * discovery runs once, before any test, on small files, and for 1,000 files sync reads measured
 * about ten times faster than `fs.promises.readFile` (which opens, stats and reads in chunks).
 * `texts` collects what was read, by absolute path, for lint (see `rememberSourceTexts`).
 */
function memoisedReader(
  dir: string,
  texts: Map<string, string>,
): (relativePath: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>()
  return (relativePath) => {
    let text = cache.get(relativePath)
    if (!text) {
      try {
        const file = path.join(dir, relativePath)
        const read = readMigrationFile(file)
        texts.set(file, read)
        text = Promise.resolve(read)
      } catch (error) {
        text = Promise.reject(error as Error)
        // Callers handle the rejection; this keeps Node from reporting it as unhandled meanwhile.
        text.catch(() => {})
      }
      cache.set(relativePath, text)
    }
    return text
  }
}

/** Shows a name's line breaks, so a reader can tell `00002_a\nb.sql` apart from two names. */
function visible(name: string): string {
  return JSON.stringify(name)
}

/**
 * Errors for what the walk found and will not read: never a silent skip. A FIFO, device or
 * socket (reading one blocks or never ends); a name with a line break (tools and shells split it,
 * and goose skips it); a folder named like a SQL file (it looks like a migration and is none).
 */
function listingDiagnostics(dir: string, listing: FolderListing): Diagnostic[] {
  const out: Diagnostic[] = []
  for (const { entry, kind } of listing.special) {
    out.push({
      severity: 'error',
      code: 'UNREADABLE_FILE',
      message: `${entry} is ${kind}, not a regular file, so pgtestbed does not read it`,
      file: path.join(dir, entry),
      fix: 'replace it with a regular file (a symlink to a regular file is fine) or move it out of the migrations folder',
    })
  }
  for (const entry of listing.lineBreakNames) {
    out.push({
      severity: 'error',
      code: 'BAD_FILENAME',
      message: `${visible(entry)} has a line break (LF or CR) in its name: no migration tool reads it reliably, so pgtestbed does not take it`,
      file: path.join(dir, entry),
      fix: 'rename it without the line break',
    })
  }
  for (const entry of listing.sqlNamedFolders) {
    out.push({
      severity: 'error',
      code: 'STRAY_FILE',
      message: `${entry}/ is a folder named like a migration file; no tool applies a folder`,
      file: path.join(dir, entry),
      fix: 'rename the folder, or move the migration out of it and delete the folder',
    })
  }
  return out
}

function versionTableOf(module: FormatModule | null, options: MigrationsOptions): VersionTable {
  const defaults = module?.defaultVersionTable ?? { table: 'schema_migrations' }
  const schema = options.schema ?? defaults.schema
  return { ...(schema === undefined ? {} : { schema }), table: options.table ?? defaults.table }
}

/**
 * Finds, reads, parses (both directions) and validates every migration in a folder.
 *
 * - `migrations` is resolved against `cwd`; every file below it is listed once (dot files
 *   included, `node_modules` skipped) and read at most once. A folder mounted from a Kubernetes
 *   ConfigMap or Secret is read through its top-level files: the copies Kubernetes keeps in
 *   `..data/` and `..<timestamp>/` are skipped (exactly that shape, see `atomicWriterEntries`).
 * - The format is `options.format`, or detected from the files (`'auto'`, the default).
 * - Problems in the folder or its files never throw: they are diagnostics in the result (a missing
 *   folder is a DIR_NOT_FOUND error diagnostic, so `pgtestbed check` lists it with everything
 *   else). Call `throwIfErrors(set.diagnostics, 'VALIDATION_FAILED', …)` to stop on errors.
 *   When the folder is missing or its format cannot be told, `migrations` is empty and `format`
 *   is the requested format (or `'goose'`, a placeholder).
 * - Invalid option values (a number for `migrations`, an unknown `format`) throw a
 *   `PgtestbedError` with code `INVALID_OPTIONS`: they are mistakes in code, not in files.
 *
 * @example
 * const set = await discoverMigrations({ migrations: './db/migrations' })
 * throwIfErrors(set.diagnostics, 'VALIDATION_FAILED', `invalid migrations in ${set.dir}`)
 * for (const m of set.migrations) console.log(m.version, m.description)
 */
export async function discoverMigrations(options: MigrationsOptions = {}): Promise<MigrationSet> {
  checkOptions(options)
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const dir = path.resolve(cwd, options.migrations ?? DEFAULT_MIGRATIONS_DIR)
  const where = `${displayPath(dir, cwd)}/`
  const requested = options.format ?? 'auto'
  const empty = (module: FormatModule | null, diagnostics: Diagnostic[]): MigrationSet => ({
    dir,
    format: module?.format ?? (requested === 'auto' ? MIGRATION_FORMATS[0]! : requested),
    ...(module === null && requested === 'auto' ? { formatUnknown: true as const } : {}),
    migrations: [],
    files: [],
    versionTable: versionTableOf(module, options),
    diagnostics,
  })

  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error)
  if (info instanceof Error || !info.isDirectory()) {
    const why =
      info instanceof Error
        ? info.code === 'ENOENT'
          ? 'does not exist'
          : info.message
        : 'is a file, not a folder'
    return empty(null, [
      {
        severity: 'error',
        code: 'DIR_NOT_FOUND',
        message: `the migrations folder ${dir} ${why} (option \`migrations\`: ${JSON.stringify(options.migrations ?? DEFAULT_MIGRATIONS_DIR)}, resolved against ${cwd})`,
        fix: 'set the `migrations` option to the folder that holds your migration files, relative to the project root',
      },
    ])
  }

  let entries: string[]
  let listed: Diagnostic[]
  try {
    const listing = walkMigrationsFolder(dir)
    entries = listing.entries
    listed = listingDiagnostics(dir, listing)
  } catch (error) {
    return empty(null, [
      {
        severity: 'error',
        code: 'UNREADABLE_FILE',
        message: `cannot list the migrations folder ${dir}: ${(error as Error).message}`,
        fix: 'check the permissions of the folder and its sub-folders',
      },
    ])
  }
  // A Kubernetes ConfigMap volume repeats every file in its `..data/` and `..<timestamp>/` folders.
  const mountInternals = new Set(atomicWriterEntries(dir, entries))
  if (mountInternals.size > 0) entries = entries.filter((e) => !mountInternals.has(e))
  entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const texts = new Map<string, string>()
  const context: FormatContext = {
    dir,
    entries,
    read: memoisedReader(dir, texts),
    versionTable: versionTableOf(null, options),
    env: options.env ?? process.env,
  }

  let module: FormatModule
  // A FORMAT_AMBIGUOUS warning when detection chose one of two formats that fit the same files.
  let detection: Diagnostic[] = []
  if (requested === 'auto') {
    const detected = await detectFormat(context, where)
    if (!detected.module) return empty(null, [...listed, ...detected.diagnostics])
    module = detected.module
    detection = detected.diagnostics
  } else {
    module = getFormatModule(requested as MigrationFormat)
  }

  const versionTable = versionTableOf(module, options)
  const result = await module.load({ ...context, versionTable })
  const set: MigrationSet = {
    dir,
    format: module.format,
    ...(result.layout ? { layout: result.layout } : {}),
    migrations: result.migrations,
    files: result.files,
    versionTable,
    diagnostics: [...listed, ...detection, ...result.diagnostics],
  }
  if (set.migrations.length === 0 && !hasErrors(set.diagnostics)) {
    set.diagnostics.push({
      severity: 'error',
      code: 'NO_MIGRATIONS',
      message: `no ${module.format} migrations found in ${where}`,
      fix: 'point the `migrations` option at the folder that holds your migrations, or set `format` to the tool they are written for',
    })
  }
  set.diagnostics.push(...validateMigrations(set, { entries, ignore: options.ignore ?? [] }))
  rememberSourceTexts(set, texts)
  return set
}
