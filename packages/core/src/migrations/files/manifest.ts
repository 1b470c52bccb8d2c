/**
 * The manifest: a lock file (`pgtestbed.sum`) or an explicit list that declares which migrations
 * exist, in which order, and (for the file) what they contain. Any difference from the folder fails
 * the run before a test starts.
 *
 * ## `pgtestbed.sum`, format h1
 *
 * ```text
 * h1:3q2+7w…=                                   ← header: checksum over the lines below
 * 001_create_users.sql h1:Zm9v…=                ← one line per migration, in apply order
 * 002_add_email.sql h1:YmFy…=
 * ```
 *
 * - The header is `h1:` + base64(SHA-256 of every entry line followed by `\n`). A hand edit or
 *   an unresolved merge of the lines no longer matches it (MANIFEST_TAMPERED).
 * - Each entry line is the migration's Up file, relative to the migrations folder with `/`
 *   separators (golang-migrate: the `.up.sql` file; drizzle v1: `<folder>/migration.sql`;
 *   drizzle 0.x: `<tag>.sql`), a space, and its chain value. A path with spaces, quotes or control
 *   characters is written as a JSON string.
 * - Chain value n = `h1:` + base64(SHA-256(chain value n−1 (32 zero bytes for the first) ‖ for
 *   each file of the migration: `file <len>:<relative path> <size>\n` + its bytes with CRLF turned
 *   into LF ‖ drizzle 0.x only: `journal <len>:<tag> <when>\n`)). All files count: golang-migrate
 *   up and down, drizzle's journal entry (its `when` decides what drizzle applies).
 * - So an edit, insert, rename or reorder changes that line and every later one, and two branches
 *   that each add a migration conflict in git, as Atlas's `atlas.sum` does. Because each line can
 *   be checked from the recorded line before it, an edit is attributed to exactly one file.
 * - The `h1:` marker versions the format; a future `h2:` file is reported, not misread.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DEFAULT_MANIFEST_FILE } from '../types.js'
import { throwIfErrors } from '../../diagnostics.js'
import type { Diagnostic } from '../../diagnostics.js'
import { PgtestbedError } from '../../errors.js'
import { compareInputsManifest, computeInputsManifest } from '../migrator/manifest.js'
import { isMigratorSet, type SchemaSet } from '../migrator/types.js'
import { compareManifest } from './manifest-check.js'
import {
  SUM_PREFIX,
  chainRecords,
  decodeSum,
  formatEntryLine,
  headerSum,
  readRecord,
} from './manifest-hash.js'

/** One migration in a manifest. */
export interface ManifestEntry {
  /** The Up file relative to the migrations folder, `/` separators (`001_init.sql`). */
  path: string
  /** The chain value, `h1:<base64>`; see the module docs. */
  sum: string
  /** 1-based line in the manifest file (parsed manifests only). */
  line?: number
}

/** A manifest: the header checksum and one entry per migration in apply order. */
export interface Manifest {
  /** `h1:<base64>` over the entry lines. */
  sum: string
  entries: ManifestEntry[]
}

/** A manifest read from a file, with what was wrong with the file itself. */
export interface ParsedManifest extends Manifest {
  /** Absolute path of the file. */
  file: string
  /** False when the file does not exist (then `diagnostics` holds MANIFEST_NOT_FOUND). */
  found: boolean
  /** MANIFEST_INVALID, MANIFEST_TAMPERED, MANIFEST_NOT_FOUND or UNREADABLE_FILE. */
  diagnostics: Diagnostic[]
}

const WRITE = '`pgtestbed manifest --write`'
const CONFLICT = /^(<{7}|={7}|>{7})( |$)/

/**
 * Computes the manifest of a migration set: one chained checksum per migration, in apply order.
 * Reads every file of every migration (CRLF normalised). For a migrate command or function: one
 * line per input file, in path order.
 *
 * @example
 * const manifest = await computeManifest(set)
 * manifest.entries[0] // { path: '001_init.sql', sum: 'h1:…' }
 */
export async function computeManifest(set: SchemaSet): Promise<Manifest> {
  if (isMigratorSet(set)) return computeInputsManifest(set)
  return chainRecords(await Promise.all(set.migrations.map((m) => readRecord(set, m))))
}

/**
 * Writes a manifest in the `pgtestbed.sum` format (header line, then one line per migration,
 * LF line endings, a final newline).
 *
 * @example
 * await writeFile('migrations/pgtestbed.sum', formatManifest(await computeManifest(set)))
 */
export function formatManifest(manifest: Manifest): string {
  return [manifest.sum, ...manifest.entries.map(formatEntryLine)].map((l) => `${l}\n`).join('')
}

/**
 * Parses the text of a `pgtestbed.sum` file. Never throws: malformed lines are MANIFEST_INVALID
 * diagnostics (with their line) and are left out of `entries`; merge-conflict markers or a header
 * that does not match the lines are MANIFEST_TAMPERED. CRLF line endings are accepted.
 *
 * @param file absolute path, used in diagnostics.
 * @example
 * const manifest = parseManifest(await readFile(file, 'utf8'), file)
 * if (manifest.diagnostics.length > 0) console.error(formatDiagnostics(manifest.diagnostics))
 */
export function parseManifest(text: string, file: string): ParsedManifest {
  const name = path.basename(file)
  const diagnostics: Diagnostic[] = []
  const result: ParsedManifest = { file, found: true, sum: '', entries: [], diagnostics }
  const rewrite = `check the migrations, then run ${WRITE} to rewrite ${name}`
  const invalid = (line: number, message: string, fix = rewrite) =>
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_INVALID',
      message: `${name}: ${message}`,
      file,
      line,
      fix,
    })

  const lines = text.replace(/\r\n/g, '\n').split('\n')
  const conflict = lines.findIndex((l) => CONFLICT.test(l))
  if (conflict !== -1) {
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_TAMPERED',
      message: `${name} has unresolved merge conflict markers: two branches changed the migrations`,
      file,
      line: conflict + 1,
      fix:
        "merge both branches' migrations into the folder, renumber the ones not yet applied anywhere so they sort " +
        `after the others, delete the conflicted lines and run ${WRITE}`,
    })
    return result
  }

  let header: { sum: string; line: number } | undefined
  let stop = false
  const seen = new Map<string, number>()
  lines.forEach((raw, index) => {
    const line = index + 1
    const content = raw.trim()
    if (content === '' || stop) return
    if (header === undefined) {
      const marker = /^(h\d+):/.exec(content)?.[1]
      if (marker !== undefined && `${marker}:` !== SUM_PREFIX) {
        invalid(
          line,
          `is in format ${marker}, which this version of pgtestbed cannot read`,
          `upgrade pgtestbed, or run ${WRITE} to rewrite it in format h1`,
        )
        // Nothing else in the file can be read with this version's rules.
        stop = true
        return
      } else if (decodeSum(content) === undefined) {
        invalid(
          line,
          `line ${line} must be the header checksum (h1:<base64>), found ${JSON.stringify(content.slice(0, 60))}`,
        )
      }
      header = { sum: content, line }
      return
    }
    const entry = parseEntryLine(content)
    if (typeof entry === 'string') {
      invalid(line, `line ${line} is not "<path> h1:<base64>": ${entry}`)
      return
    }
    const first = seen.get(entry.path)
    if (first !== undefined) {
      invalid(line, `${entry.path} is listed twice (lines ${first} and ${line})`)
      return
    }
    seen.set(entry.path, line)
    result.entries.push({ ...entry, line })
  })

  if (stop) return result
  if (header === undefined) {
    invalid(1, 'is empty', `run ${WRITE} to create it`)
    return result
  }
  result.sum = header.sum
  const hasInvalid = diagnostics.length > 0
  if (!hasInvalid && headerSum(result.entries.map(formatEntryLine)) !== header.sum) {
    diagnostics.push({
      severity: 'error',
      code: 'MANIFEST_TAMPERED',
      message: `${name}: the header checksum does not match the lines below it; the file was edited by hand or merged`,
      file,
      line: header.line,
      fix: `resolve what changed (see the other manifest errors), then run ${WRITE}; never edit ${name} by hand`,
    })
  }
  return result
}

/** Parses `<path> h1:<base64>`, returning a reason when the line is malformed. */
function parseEntryLine(text: string): { path: string; sum: string } | string {
  const space = text.lastIndexOf(' ')
  if (space <= 0) return 'no checksum after the path'
  const sum = text.slice(space + 1)
  let rawPath = text.slice(0, space).trimEnd()
  if (decodeSum(sum) === undefined)
    return `${JSON.stringify(sum.slice(0, 60))} is not an h1: checksum`
  if (rawPath.startsWith('"')) {
    try {
      rawPath = JSON.parse(rawPath) as string
    } catch {
      return 'the quoted path is not a valid JSON string'
    }
  }
  return { path: rawPath, sum }
}

/**
 * Reads and parses a manifest file. A missing file gives `found: false` and a
 * MANIFEST_NOT_FOUND diagnostic; an unreadable one an UNREADABLE_FILE diagnostic. Never throws.
 *
 * @example
 * const manifest = await readManifest('/repo/migrations/pgtestbed.sum')
 */
export async function readManifest(file: string): Promise<ParsedManifest> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    return {
      file,
      found: !missing,
      sum: '',
      entries: [],
      diagnostics: [
        missing
          ? {
              severity: 'error',
              code: 'MANIFEST_NOT_FOUND',
              message: `the manifest ${path.basename(file)} does not exist`,
              file,
              fix: `review the migrations, then run ${WRITE} to create it`,
            }
          : {
              severity: 'error',
              code: 'UNREADABLE_FILE',
              message: `cannot read the manifest ${path.basename(file)}: ${(error as Error).message}`,
              file,
              fix: 'check that the file is readable by the user running pgtestbed',
            },
      ],
    }
  }
  return parseManifest(text, file)
}

/** Options of {@link writeManifest} and {@link checkManifest}. */
export interface ManifestPathOptions {
  /**
   * The folder a relative manifest path is resolved against (the project root).
   * Default: `process.cwd()`.
   */
  cwd?: string
}

/**
 * The absolute manifest path, by the one rule every entry point follows: no path means
 * `pgtestbed.sum` in the migrations folder; a path given in code (an option, an argument) is
 * absolute or relative to `cwd`. (A path in a config file is relative to that file:
 * `loadConfig` makes it absolute before it gets here.)
 *
 * @example
 * manifestPath(set) // '/repo/db/migrations/pgtestbed.sum'
 * manifestPath(set, 'db/lock.sum', { cwd: '/repo' }) // '/repo/db/lock.sum'
 */
export function manifestPath(
  set: Pick<SchemaSet, 'dir'>,
  file?: string,
  options: ManifestPathOptions = {},
): string {
  if (file === undefined) return path.join(set.dir, DEFAULT_MANIFEST_FILE)
  return path.resolve(options.cwd ?? process.cwd(), file)
}

/**
 * The manifest a `manifest` setting declares: `'auto'` is `pgtestbed.sum` in the migrations
 * folder when that file exists (no manifest otherwise), `false` is none, a path or a list is
 * itself. Every entry point (the testbed, `pgtestbed check`, `up`/`down`) decides this way.
 */
export async function declaredManifest(
  set: Pick<SchemaSet, 'dir'>,
  setting: string | readonly string[] | false | 'auto',
): Promise<string | readonly string[] | undefined> {
  if (setting === false) return undefined
  if (setting !== 'auto') return setting
  const file = manifestPath(set)
  return access(file).then(
    () => file,
    () => undefined,
  )
}

/**
 * Writes the manifest of `set` (what `pgtestbed manifest --write` does). The file is replaced
 * atomically and only when its content changes. Refuses a set with error diagnostics, since a
 * migration that failed to load would be left out of the manifest.
 *
 * @param file the manifest path, absolute or relative to `options.cwd`.
 *   Default: `pgtestbed.sum` in the migrations folder (`<set.dir>/pgtestbed.sum`).
 * @returns the absolute path written and whether its content changed.
 * @throws DiagnosticsError `VALIDATION_FAILED` when the set has errors; PgtestbedError
 *   `MANIFEST_WRITE_FAILED` when the file cannot be written (the file system error is the cause).
 * @example
 * const { file, changed } = await writeManifest(set)
 * if (changed) console.log(`updated ${file}`)
 */
export async function writeManifest(
  set: SchemaSet,
  file?: string,
  options: ManifestPathOptions = {},
): Promise<{ file: string; changed: boolean }> {
  const target = manifestPath(set, file, options)
  throwIfErrors(
    set.diagnostics.filter((d) => !d.code.startsWith('MANIFEST_')),
    'VALIDATION_FAILED',
    `refusing to write ${path.basename(target)}: fix the migrations in ${set.dir} first`,
  )
  const text = formatManifest(await computeManifest(set))
  const current = await readFile(target, 'utf8').catch(() => undefined)
  if (current !== undefined && current.replace(/\r\n/g, '\n') === text) {
    return { file: target, changed: false }
  }
  // Write next to the target and rename, so a crash never leaves a half-written manifest.
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, text)
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true })
    throw new PgtestbedError(
      'MANIFEST_WRITE_FAILED',
      `cannot write the manifest ${target}: ${(error as Error).message}`,
      { cause: error, fix: writeFailureFix(target, error) },
    )
  }
  return { file: target, changed: true }
}

/** What to do about a failed manifest write, by the file system's error code. */
function writeFailureFix(target: string, error: unknown): string {
  const folder = path.dirname(target)
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `the folder ${folder} does not exist: check the manifest path (the default is pgtestbed.sum in the migrations folder), or create the folder`
    case 'EACCES':
    case 'EPERM':
      return `the user running pgtestbed may not write to ${folder}: fix its permissions, or run \`pgtestbed manifest --write\` as the folder's owner`
    case 'EROFS':
      return `${folder} is on a read-only file system (a container or CI mount?): run \`pgtestbed manifest --write\` in a writable checkout and commit the file`
    default:
      return `check that ${folder} exists and is writable, or choose another manifest path`
  }
}

/**
 * Compares the migrations with a declared manifest and returns every difference at once, each as
 * an error diagnostic with its fix:
 * MANIFEST_UNLISTED, MANIFEST_MISSING_FILE, MANIFEST_EDITED, MANIFEST_REORDERED,
 * MANIFEST_TAMPERED, MANIFEST_INVALID, MANIFEST_NOT_FOUND.
 *
 * @param manifest a manifest file path, absolute or relative to `options.cwd` (default: `pgtestbed.sum`
 *   in the migrations folder); or an explicit list of Up file paths relative to the migrations
 *   folder (`['001_init.sql', …]`), which declares names and order only.
 * @example
 * const diagnostics = await checkManifest(set) // <migrations>/pgtestbed.sum
 * throwIfErrors(diagnostics, 'MANIFEST_MISMATCH', 'the migrations differ from pgtestbed.sum')
 * await checkManifest(set, 'db/lock.sum', { cwd: projectRoot }) // <projectRoot>/db/lock.sum
 */
export async function checkManifest(
  set: SchemaSet,
  manifest?: string | readonly string[],
  options: ManifestPathOptions = {},
): Promise<Diagnostic[]> {
  const compare = (source: Parameters<typeof compareInputsManifest>[1]) =>
    isMigratorSet(set) ? compareInputsManifest(set, source) : compareManifest(set, source)
  if (manifest !== undefined && typeof manifest !== 'string') {
    return compare({ kind: 'list', items: manifest })
  }
  const parsed = await readManifest(manifestPath(set, manifest, options))
  // No header: the file is missing, empty or conflicted, and its lines cannot be trusted.
  if (parsed.sum === '') return parsed.diagnostics
  return [...parsed.diagnostics, ...(await compare({ kind: 'file', manifest: parsed }))]
}
