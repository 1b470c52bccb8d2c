import type { Diagnostic } from '../../../diagnostics.js'
import type { Migration, MigrationSection } from '../../types.js'
import {
  absolute,
  bomDiagnostic,
  lastLine,
  loadAll,
  readEntry,
  topLevelEntries,
} from './file-names.js'
import type { FormatContext, FormatLoadResult, FormatModule } from './types.js'

/**
 * node-pg-migrate's section markers (`sqlMigration.ts`): at a line start (multiline), optional
 * whitespace, `--`, any run of spaces and dashes, the direction, whitespace, `migration`;
 * case-insensitive. `^\s*` may begin on an earlier blank line, and the section starts where the
 * match starts, exactly as the tool slices it.
 */
const marker = (direction: 'up' | 'down') =>
  new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im')
const UP_MARKER = marker('up')
const DOWN_MARKER = marker('down')

/** The leading digits node-pg-migrate orders by. */
const PREFIX = /^(\d+)/

/** JavaScript and TypeScript migrations, which node-pg-migrate loads with jiti. */
const SCRIPT = /\.(?:[cm]?js|[cm]?ts)$/

/** A JavaScript migration: an `up` export taking the migration builder. */
const SCRIPT_MIGRATION = /\b(?:exports\.up|export\s+(?:const|async\s+function|function)\s+up)\b/

/** node-pg-migrate records `name` in a `varchar(255)`. */
const MAX_NAME_LENGTH = 255

/**
 * The value node-pg-migrate orders a file by (`getNumericPrefix`): the leading digits as a JS
 * number, except that exactly 17 digits are read as a UTC `YYYYMMDDhhmmssSSS` time in ms.
 */
function numericPrefixValue(fileName: string): number | undefined {
  const digits = PREFIX.exec(fileName)?.[1]
  if (digits === undefined) return undefined
  if (digits.length !== 17) return Number(digits)
  const [year, month, day, hours, minutes, seconds, ms] = [
    digits.slice(0, 4),
    digits.slice(4, 6),
    digits.slice(6, 8),
    digits.slice(8, 10),
    digits.slice(10, 12),
    digits.slice(12, 14),
    digits.slice(14, 17),
  ]
  return new Date(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}.${ms}Z`).valueOf()
}

/**
 * node-pg-migrate's file order (`compareMigrationFileNames`): by numeric prefix, then by a
 * locale-aware compare with numeric collation that ignores punctuation.
 *
 * @example
 * ['1700000000001_b.sql', '1700000000000_a.sql'].sort(compareNodePgMigrateNames) // [a, b]
 */
export function compareNodePgMigrateNames(a: string, b: string): number {
  return (
    (numericPrefixValue(a) ?? 0) - (numericPrefixValue(b) ?? 0) ||
    a.localeCompare(b, undefined, {
      usage: 'sort',
      numeric: true,
      sensitivity: 'variant',
      ignorePunctuation: true,
    })
  )
}

/** The 1-based line `offset` is on. */
function lineAt(text: string, offset: number): number {
  let line = 1
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) line++
  return line
}

/** A section from `start` to `end`, as one statement: node-pg-migrate sends it in one query. */
function section(file: string, text: string, start: number, end: number): MigrationSection {
  const sql = text.slice(start, end)
  const first = lineAt(text, start)
  // The marker line (the match may start on blank lines before it).
  const markerLine = first + (/^\s*/.exec(sql)?.[0].split('\n').length ?? 1) - 1
  return {
    file,
    line: markerLine,
    statements: [{ sql, line: first, endLine: lastLine(sql, first) }],
    transaction: true,
  }
}

/**
 * Splits a node-pg-migrate SQL migration the way the tool does: Up from the up marker to the
 * down marker (or the end), Down from the down marker to the up marker (or the end), whichever
 * comes after it. No up marker makes the whole file the Up section; no down marker disables Down.
 */
export function splitNodePgMigrateSql(
  text: string,
  file: string,
): { up: MigrationSection; down: MigrationSection | null } {
  const up = text.search(UP_MARKER)
  const down = text.search(DOWN_MARKER)
  const upSection =
    up >= 0
      ? section(file, text, up, down < up ? text.length : down)
      : { ...section(file, text, 0, text.length), line: 1 }
  const downSection = down >= 0 ? section(file, text, down, up < down ? text.length : up) : null
  return { up: upSection, down: downSection }
}

async function loadFile(
  context: FormatContext,
  entry: string,
  diagnostics: Diagnostic[],
): Promise<Omit<Migration, 'index'> | null> {
  const text = await readEntry(context, entry, diagnostics)
  if (text === null) return null
  const file = absolute(context, entry)
  if (text.startsWith('\uFEFF')) {
    diagnostics.push(
      bomDiagnostic(
        file,
        entry,
        'node-pg-migrate sends it to PostgreSQL with the SQL, which rejects it as a syntax error',
      ),
    )
    return null
  }
  const name = entry.slice(0, -'.sql'.length)
  const { up, down } = splitNodePgMigrateSql(text, file)
  if (down !== null && text.search(UP_MARKER) < 0) {
    diagnostics.push({
      severity: 'error',
      code: 'MISSING_UP',
      message: `${entry} has a \`-- Down Migration\` marker (line ${down.line}) but no \`-- Up Migration\` marker, so node-pg-migrate runs the whole file, Down section included, as the Up migration`,
      file,
      line: down.line,
      fix: 'start the file with a line `-- Up Migration` above the Up SQL',
    })
    return null
  }
  const digits = PREFIX.exec(entry)?.[1] ?? ''
  return {
    format: 'node-pg-migrate',
    version: name,
    versionNumber: BigInt(digits),
    description: name.slice(digits.length).replace(/^[_\-. ]+/, ''),
    files: [file],
    up,
    down,
    record: { format: 'node-pg-migrate', name },
  }
}

/** Top-level entries node-pg-migrate reads: every file not starting with a dot. */
function candidates(context: FormatContext): string[] {
  return topLevelEntries(context).filter((e) => !e.startsWith('.'))
}

/**
 * What node-pg-migrate would refuse: a file without a numeric prefix (the tool stops with
 * "Cannot determine numeric prefix"), a JavaScript migration (pgtestbed does not run them
 * itself), a name its INSERT cannot hold.
 */
function checkNames(
  context: FormatContext,
  entries: string[],
  diagnostics: Diagnostic[],
): string[] {
  const kept: string[] = []
  for (const entry of entries) {
    const file = absolute(context, entry)
    if (!PREFIX.test(entry)) {
      diagnostics.push({
        severity: 'error',
        code: 'BAD_FILENAME',
        message: `${entry} has no numeric prefix: node-pg-migrate treats every file in the migrations folder (except dot files) as a migration and stops with "Cannot determine numeric prefix for "${entry}""`,
        file,
        fix:
          entry === 'pgtestbed.sum'
            ? "keep the manifest outside the migrations folder (`manifest: './pgtestbed.sum'` in pgtestbed.config.*, then `pgtestbed manifest --write`)"
            : 'move it out of the migrations folder, or rename it `<digits>_<name>.sql` if it is a migration',
      })
      continue
    }
    if (SCRIPT.test(entry)) {
      diagnostics.push({
        severity: 'error',
        code: 'UNSUPPORTED_MIGRATION',
        message: `${entry} is a node-pg-migrate JavaScript/TypeScript migration: pgtestbed reads node-pg-migrate's SQL migrations itself, but runs JavaScript migrations only through node-pg-migrate`,
        file,
        fix: "let node-pg-migrate build the template: `migrate: { command: 'npx node-pg-migrate up', inputs: ['migrations/**'] }` in pgtestbed.config.* (see the node-pg-migrate recipe in the README)",
      })
      continue
    }
    if (!entry.endsWith('.sql')) {
      diagnostics.push({
        severity: 'error',
        code: 'STRAY_FILE',
        message: `${entry} is not a SQL migration: node-pg-migrate would load it as a JavaScript module and fail`,
        file,
        fix: 'move it out of the migrations folder',
      })
      continue
    }
    const name = entry.slice(0, -'.sql'.length)
    if (name.length > MAX_NAME_LENGTH || name.includes("'")) {
      diagnostics.push({
        severity: 'error',
        code: 'BAD_FILENAME',
        message: name.includes("'")
          ? `${entry}: node-pg-migrate writes the name into its INSERT into pgmigrations without escaping, so a quote in it breaks the statement`
          : `${entry}: the name is ${name.length} characters long, but pgmigrations.name holds at most ${MAX_NAME_LENGTH}`,
        file,
        fix: 'rename the file (before any database has applied it)',
      })
      continue
    }
    kept.push(entry)
  }
  return kept
}

/**
 * node-pg-migrate SQL migrations: every top-level file not starting with a dot is a migration,
 * ordered by its numeric prefix (17 digits: a UTC time), then by name; its name is the file name
 * without the extension. `-- Up Migration` and `-- Down Migration` markers split the file; each
 * section, marker included, is one query in a transaction with its `pgmigrations` row.
 * JavaScript migrations are reported: the `migrate: { command }` recipe runs them through the tool.
 *
 * @example
 * const { migrations } = await nodePgMigrateFormat.load(context)
 * migrations[0]?.record // { format: 'node-pg-migrate', name: '1700000000000_init' }
 */
export const nodePgMigrateFormat: FormatModule = {
  format: 'node-pg-migrate',
  defaultVersionTable: { schema: 'public', table: 'pgmigrations' },

  async detect(context) {
    const numbered = candidates(context).filter((e) => PREFIX.test(e))
    const texts = await Promise.all(numbered.map((e) => context.read(e).catch(() => '')))
    const proof = numbered.filter((entry, i) =>
      entry.endsWith('.sql')
        ? UP_MARKER.test(texts[i] ?? '') || DOWN_MARKER.test(texts[i] ?? '')
        : SCRIPT.test(entry) && SCRIPT_MIGRATION.test(texts[i] ?? ''),
    )
    if (proof.length > 0) return { score: 3, evidence: proof }
    const sql = numbered.filter((e) => e.endsWith('.sql'))
    return { score: sql.length > 0 ? 1 : 0, evidence: sql }
  },

  async load(context): Promise<FormatLoadResult> {
    const diagnostics: Diagnostic[] = []
    const entries = candidates(context)
    const kept = checkNames(context, entries, diagnostics).sort(compareNodePgMigrateNames)
    const migrations = await loadAll(
      kept,
      (entry, own) => loadFile(context, entry, own),
      diagnostics,
    )
    return { migrations, files: kept.map((e) => absolute(context, e)), diagnostics }
  },
}
