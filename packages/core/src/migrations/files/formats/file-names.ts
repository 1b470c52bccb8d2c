import path from 'node:path'
import type { Diagnostic } from '../../../diagnostics.js'
import { MigrationFileReadError } from '../read-file.js'
import type { Migration } from '../../types.js'
import type { FormatContext } from './types.js'

/** Largest value of a signed 64-bit integer (goose versions, PostgreSQL `bigint`). */
export const INT64_MAX = 9223372036854775807n
/** Largest value of an unsigned 64-bit integer (golang-migrate versions). */
export const UINT64_MAX = 18446744073709551615n

/** True for an entry directly in the migrations folder (not in a sub-folder). */
export const isTopLevel = (entry: string): boolean => !entry.includes('/')

/** The entries directly in the migrations folder. */
export const topLevelEntries = (context: FormatContext): string[] =>
  context.entries.filter(isTopLevel)

/** Absolute path of an entry. */
export const absolute = (context: FormatContext, entry: string): string =>
  path.join(context.dir, entry)

/** True when `text` is empty or only whitespace as Go's `strings.TrimSpace` sees it (a BOM is not whitespace). */
export const isBlank = (text: string): boolean => /^[\t\n\v\f\r \u0085\u00a0]*$/.test(text)

/** How many line breaks the whitespace at the start of `text` holds (blank lines before its first content). */
export function leadingNewlines(text: string): number {
  const leading = /^\s*/.exec(text)?.[0] ?? ''
  return leading.split('\n').length - 1
}

/** Number of the last line of `text` (a final newline does not start a line). */
export function lastLine(text: string, firstLine = 1): number {
  let lines = 0
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) lines++
  return firstLine + lines - (text.endsWith('\n') ? 1 : 0)
}

/**
 * The next free version after `versions`, written with `width` digits (so a renumbered file
 * keeps the folder's zero-padding).
 *
 * @example
 * nextVersion([1n, 21n], 3) // '022'
 */
export function nextVersion(versions: Iterable<bigint>, width: number): string {
  let max = 0n
  for (const v of versions) if (v > max) max = v
  return (max + 1n).toString().padStart(width, '0')
}

/**
 * Loads every item at once. Each collects its own diagnostics, added here in item order so the
 * report does not depend on which read finishes first; an item that loads as `null` is left out
 * and the others are numbered (`index`) in order.
 */
export async function loadAll<T>(
  items: readonly T[],
  load: (item: T, diagnostics: Diagnostic[]) => Promise<Omit<Migration, 'index'> | null>,
  diagnostics: Diagnostic[],
): Promise<Migration[]> {
  const loaded = await Promise.all(
    items.map(async (item) => {
      const own: Diagnostic[] = []
      return { migration: await load(item, own), own }
    }),
  )
  const migrations: Migration[] = []
  for (const { migration, own } of loaded) {
    diagnostics.push(...own)
    if (migration) migrations.push({ ...migration, index: migrations.length })
  }
  return migrations
}

/** Reads an entry, turning a read failure into an UNREADABLE_FILE diagnostic. */
export async function readEntry(
  context: FormatContext,
  entry: string,
  diagnostics: Diagnostic[],
): Promise<string | null> {
  try {
    return await context.read(entry)
  } catch (error) {
    // A special file, one past the size cap, or invalid UTF-8 says why and where (read-file.ts).
    const known = error instanceof MigrationFileReadError ? error : undefined
    diagnostics.push({
      severity: 'error',
      code: 'UNREADABLE_FILE',
      message: `could not read ${entry}: ${error instanceof Error ? error.message : String(error)}`,
      file: absolute(context, entry),
      ...(known?.line === undefined ? {} : { line: known.line }),
      fix: known?.fix ?? 'check that the file exists and is readable by the user running the tests',
    })
    return null
  }
}

/** The BOM diagnostic shared by formats whose tool sends the file's bytes as they are. */
export function bomDiagnostic(file: string, entry: string, consequence: string): Diagnostic {
  return {
    severity: 'error',
    code: 'BOM',
    message: `${entry} starts with a UTF-8 byte-order mark: ${consequence}`,
    file,
    line: 1,
    fix: 'save the file as UTF-8 without BOM (in VS Code: "Save with Encoding" → "UTF-8")',
  }
}

/**
 * Proposes a name the tool would accept for a file whose name it rejects or skips: the version
 * digits kept (or `next` when there are none or they are zero), `_` as the separator, the rest
 * snake_cased, a lower-case `.sql` extension (and `.up`/`.down` for golang-migrate).
 * Returns `null` for names where renaming is not the fix (a backup such as `x.sql.bak`).
 *
 * @example
 * proposeName('001-init.sql', 'goose', '004') // '001_init.sql'
 * proposeName('schema.sql', 'dbmate', '004') // '004_schema.sql'
 * proposeName('001_init.sql', 'golang-migrate', '004') // '001_init.up.sql'
 */
export function proposeName(base: string, format: string, next: string): string | null {
  const ext = /^(.*?)\.(sql|psql|pgsql)$/i.exec(base)
  if (!ext) return null
  let stem = ext[1] ?? ''
  let direction = ''
  if (format === 'golang-migrate') {
    const dir = /^(.*)\.(up|down)$/i.exec(stem)
    direction = `.${(dir?.[2] ?? 'up').toLowerCase()}`
    if (dir) stem = dir[1] ?? ''
  }
  const numbered = /^[A-Za-z]?(\d+)[-_. ]*(.*)$/.exec(stem)
  const kept = numbered?.[1] ?? ''
  const digits = /[1-9]/.test(kept) && BigInt(kept) <= INT64_MAX ? kept : next
  const rest = (numbered ? (numbered[2] ?? '') : stem)
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return `${digits}_${rest || 'migration'}${direction}.sql`
}
