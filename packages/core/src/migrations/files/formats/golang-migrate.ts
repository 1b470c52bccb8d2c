import type { Diagnostic } from '../../../diagnostics.js'
import type { Migration, MigrationSection } from '../../types.js'
import {
  INT64_MAX,
  UINT64_MAX,
  absolute,
  bomDiagnostic,
  isBlank,
  lastLine,
  leadingNewlines,
  loadAll,
  nextVersion,
  readEntry,
  topLevelEntries,
} from './file-names.js'
import { duplicateVersionDiagnostics, type DuplicateVersion } from './duplicates.js'
import type { FormatContext, FormatLoadResult, FormatModule } from './types.js'

/**
 * golang-migrate's file name pattern (`source/parse.go`): `{version}_{title}.{up|down}.{ext}`,
 * anchored, case-sensitive, greedy title (may be empty or hold dots), extension not checked.
 */
const GOLANG_MIGRATE_NAME = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/

/** A file name golang-migrate accepts, split into its parts. */
export interface GolangMigrateName {
  version: bigint
  /** The version digits as written. */
  digits: string
  title: string
  direction: 'up' | 'down'
  extension: string
}

/**
 * Parses a golang-migrate file name, or returns `null` when golang-migrate would ignore it.
 *
 * @example
 * parseGolangMigrateName('000001_init.up.sql') // { version: 1n, digits: '000001', title: 'init', direction: 'up', extension: 'sql' }
 */
export function parseGolangMigrateName(name: string): GolangMigrateName | null {
  const match = GOLANG_MIGRATE_NAME.exec(name)
  if (!match) return null
  const [, digits = '', title = '', direction, extension = ''] = match
  return {
    version: BigInt(digits),
    digits,
    title,
    direction: direction === 'up' ? 'up' : 'down',
    extension,
  }
}

interface Pair {
  version: bigint
  /** Set when a second file with the same version and direction was reported. */
  duplicated?: boolean
  up?: { entry: string; name: GolangMigrateName }
  down?: { entry: string; name: GolangMigrateName }
}

function collectPairs(
  context: FormatContext,
  diagnostics: Diagnostic[],
  duplicates: DuplicateVersion[],
): Pair[] {
  const names = topLevelEntries(context).flatMap((entry) => {
    const name = parseGolangMigrateName(entry)
    return name ? [{ entry, name }] : []
  })
  const versions = names.map((n) => n.name.version).filter((v) => v <= INT64_MAX)
  const pairs = new Map<bigint, Pair>()
  for (const file of names) {
    const { version, direction, digits } = file.name
    if (version > INT64_MAX) {
      const skipped = version > UINT64_MAX
      diagnostics.push({
        severity: 'error',
        code: 'VERSION_OUT_OF_RANGE',
        message: skipped
          ? `${file.entry}: version ${digits} does not fit in an unsigned 64-bit integer, so golang-migrate silently skips the file and it is never applied`
          : `${file.entry}: version ${digits} is larger than a PostgreSQL bigint, so golang-migrate cannot record it in schema_migrations.version`,
        file: absolute(context, file.entry),
        fix: `use a smaller version, e.g. rename it to ${file.entry.replace(digits, nextVersion(versions, 6))}`,
      })
      continue
    }
    const pair = pairs.get(version) ?? { version }
    pairs.set(version, pair)
    const existing = pair[direction]
    if (existing) {
      pair.duplicated = true
      duplicates.push({
        version: version.toString(),
        first: existing.entry,
        second: file.entry,
        consequence: `golang-migrate refuses to start ("duplicate migration file: ${file.entry}")`,
        width: digits.length,
        renamed: (entry, next) => entry.replace(/^\d+/, next),
        companion: `(and its .${direction === 'up' ? 'down' : 'up'} file)`,
      })
      continue
    }
    pair[direction] = file
  }
  return [...pairs.values()].sort((a, b) => (a.version < b.version ? -1 : 1))
}

function sectionOf(context: FormatContext, entry: string, text: string | null): MigrationSection {
  const sql = text ?? ''
  return {
    file: absolute(context, entry),
    line: 1,
    // golang-migrate sends the whole file as one Exec and skips a whitespace-only body.
    statements: isBlank(sql)
      ? []
      : [{ sql, line: 1 + leadingNewlines(sql), endLine: lastLine(sql) }],
    transaction: false,
  }
}

async function loadPair(
  context: FormatContext,
  pair: Pair,
  diagnostics: Diagnostic[],
): Promise<Migration> {
  const read = async (entry: string) => {
    const text = await readEntry(context, entry, diagnostics)
    if (text?.startsWith('\uFEFF')) {
      diagnostics.push(
        bomDiagnostic(
          absolute(context, entry),
          entry,
          'golang-migrate sends it to PostgreSQL as part of the SQL, which fails with a syntax error',
        ),
      )
    }
    return text
  }
  const upText = pair.up ? await read(pair.up.entry) : null
  const downText = pair.down ? await read(pair.down.entry) : null
  const version = pair.version.toString()
  if (pair.up && pair.down && !pair.duplicated && pair.up.name.title !== pair.down.name.title) {
    diagnostics.push({
      severity: 'warning',
      code: 'DUPLICATE_VERSION',
      message: `${pair.up.entry} and ${pair.down.entry} share version ${version} but have different titles; golang-migrate pairs them by version, so the down file undoes this up file`,
      file: absolute(context, pair.down.entry),
      related: [{ file: absolute(context, pair.up.entry) }],
      fix: `if they are two different migrations, give one a new version; otherwise rename ${pair.down.entry} to ${pair.up.entry.replace(/\.up\./, '.down.')}`,
    })
  }
  if (!pair.up) {
    const down = pair.down!
    diagnostics.push({
      severity: 'error',
      code: 'UP_FILE_MISSING',
      message: `${down.entry} has no matching up file: golang-migrate would record version ${version} as applied without running anything`,
      file: absolute(context, down.entry),
      fix: `add ${down.entry.replace(/\.down\.([^.]*)$/, '.up.$1')} with the migration's SQL, or delete ${down.entry}`,
    })
  } else if (upText !== null && isBlank(upText)) {
    diagnostics.push({
      severity: 'warning',
      code: 'EMPTY_MIGRATION',
      message: `${pair.up.entry} is empty: golang-migrate skips it and records version ${version} without running anything`,
      file: absolute(context, pair.up.entry),
      fix: 'add the migration SQL, or a comment saying why it is intentionally empty',
    })
  }
  const primary = pair.up ?? pair.down!
  return {
    format: 'golang-migrate',
    index: 0,
    version,
    versionNumber: pair.version,
    description: primary.name.title,
    files: [pair.up, pair.down].flatMap((f) => (f ? [absolute(context, f.entry)] : [])),
    up: sectionOf(context, primary.entry, pair.up ? upText : ''),
    down: pair.down ? sectionOf(context, pair.down.entry, downText) : null,
    record: { format: 'golang-migrate', version: pair.version },
  }
}

/**
 * golang-migrate/migrate: `{version}_{title}.up.{ext}` and `.down.{ext}` pairs, top level only.
 *
 * Each file is ONE statement: golang-migrate's postgres driver sends the whole text in one Exec
 * (whitespace-only files send nothing). It adds no `BEGIN`, so every section has
 * `transaction: false`; PostgreSQL still runs a multi-command string as one implicit transaction,
 * so the file is applied all-or-nothing and `CREATE INDEX CONCURRENTLY` works only alone in its file.
 * A down file without an up file still records its version (golang-migrate uses an empty up).
 * Version table: `schema_migrations(version bigint, dirty boolean)`, one row.
 *
 * @example
 * const result = await golangMigrateFormat.load(context)
 * result.migrations[0]?.record // { format: 'golang-migrate', version: 1n }
 */
export const golangMigrateFormat: FormatModule = {
  format: 'golang-migrate',
  defaultVersionTable: { table: 'schema_migrations' },
  async detect(context) {
    // `.up.`/`.down.` pairs are golang-migrate's signature; no other tool names files this way.
    const named = topLevelEntries(context).filter((e) => GOLANG_MIGRATE_NAME.test(e))
    return { score: named.length > 0 ? 3 : 0, evidence: named }
  },
  async load(context): Promise<FormatLoadResult> {
    const diagnostics: Diagnostic[] = []
    const duplicates: DuplicateVersion[] = []
    const pairs = collectPairs(context, diagnostics, duplicates)
    diagnostics.push(
      ...(await duplicateVersionDiagnostics(
        context,
        duplicates,
        pairs.map((p) => p.version),
      )),
    )
    const migrations = await loadAll(
      pairs,
      (pair, own) => loadPair(context, pair, own),
      diagnostics,
    )
    return { migrations, files: migrations.flatMap((m) => m.files), diagnostics }
  },
}
