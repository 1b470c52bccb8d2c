import type { Diagnostic } from '../../../diagnostics.js'
import type { Migration, MigrationSection } from '../../types.js'
import { type DbmateBlock, parseDbmateSql } from './dbmate-parser.js'
import {
  absolute,
  bomDiagnostic,
  loadAll,
  nextVersion,
  readEntry,
  topLevelEntries,
} from './file-names.js'
import { duplicateVersionDiagnostics, type DuplicateVersion } from './duplicates.js'
import type { FormatContext, FormatLoadResult, FormatModule } from './types.js'

/** dbmate's file name pattern (`migrationFileRegexp`): leading digits (the version), anything, `.sql`. */
const DBMATE_NAME = /^(\d+).*\.sql$/

// A dbmate directive anywhere in a file proves the format.
const DIRECTIVE_ANYWHERE = /^--\s*migrate:(?:up|down)(?:\s|$)/m

function section(file: string, block: DbmateBlock): MigrationSection {
  return {
    file,
    line: block.line,
    statements: [{ sql: block.sql, line: block.line, endLine: block.endLine }],
    transaction: block.transaction,
  }
}

const versionsOf = (entries: string[]): bigint[] =>
  entries.map((e) => BigInt(DBMATE_NAME.exec(e)?.[1] ?? '0'))

/** Drops later files that reuse a version string, reporting each (dbmate would skip them silently). */
function uniqueVersions(
  context: FormatContext,
  entries: string[],
  diagnostics: Diagnostic[],
  duplicates: DuplicateVersion[],
) {
  const versions = versionsOf(entries)
  const byString = new Map<string, string>()
  const byNumber = new Map<bigint, string>()
  const kept: string[] = []
  for (const entry of entries) {
    const digits = DBMATE_NAME.exec(entry)?.[1] ?? ''
    const first = byString.get(digits)
    if (first) {
      duplicates.push({
        version: digits,
        first,
        second: entry,
        consequence: `dbmate records applied versions by their digits, so once ${first} is applied it treats ${entry} as applied too and never runs it`,
        width: digits.length,
        renamed: (name, version) => name.replace(/^\d+/, version),
      })
      continue
    }
    const sameNumber = byNumber.get(BigInt(digits))
    if (sameNumber) {
      diagnostics.push({
        severity: 'warning',
        code: 'DUPLICATE_VERSION',
        message: `${sameNumber} and ${entry} have the same version number written differently; dbmate treats "${DBMATE_NAME.exec(sameNumber)?.[1]}" and "${digits}" as two versions and orders them by file name`,
        file: absolute(context, entry),
        related: [{ file: absolute(context, sameNumber) }],
        fix: `give ${entry} a version of its own, e.g. ${entry.replace(digits, nextVersion(versions, digits.length))}`,
      })
    }
    byString.set(digits, entry)
    byNumber.set(BigInt(digits), entry)
    kept.push(entry)
  }
  return kept
}

/**
 * dbmate applies files in name order; with versions of different widths that is not numeric
 * order (`10_c.sql` runs before `2_b.sql`), which surprises whoever numbered them.
 */
function stringOrderHazard(context: FormatContext, entries: string[]): Diagnostic | null {
  const number = (entry: string) => BigInt(DBMATE_NAME.exec(entry)?.[1] ?? '0')
  for (let k = 1; k < entries.length; k++) {
    const earlier = entries[k - 1]!
    const later = entries[k]!
    if (number(earlier) <= number(later)) continue
    const width = Math.max(...entries.map((e) => DBMATE_NAME.exec(e)?.[1]?.length ?? 0))
    const digits = DBMATE_NAME.exec(later)?.[1] ?? ''
    return {
      severity: 'warning',
      code: 'MIXED_VERSIONING',
      message: `versions have different widths, and dbmate applies files in name order, not numeric order: ${earlier} runs before ${later}`,
      file: absolute(context, earlier),
      related: [{ file: absolute(context, later) }],
      fix: `zero-pad every version to the same width (e.g. rename ${later} to ${later.replace(digits, digits.padStart(width, '0'))}) before any of them is applied to a shared database, or keep this order on purpose`,
    }
  }
  return null
}

async function loadFile(
  context: FormatContext,
  entry: string,
  diagnostics: Diagnostic[],
): Promise<Omit<Migration, 'index'> | null> {
  const raw = await readEntry(context, entry, diagnostics)
  if (raw === null) return null
  const file = absolute(context, entry)
  let text = raw
  if (text.startsWith('\uFEFF')) {
    diagnostics.push(
      bomDiagnostic(
        file,
        entry,
        'dbmate does not see a directive or comment on line 1 behind it and rejects the file ("dbmate requires each migration to define an up block with \'-- migrate:up\'" or "does not support statements preceding the \'-- migrate:up\' block")',
      ),
    )
    text = text.slice(1)
  }
  const parsed = parseDbmateSql(text, { file, name: entry })
  diagnostics.push(...parsed.diagnostics)
  if (!parsed.up) return null
  const digits = DBMATE_NAME.exec(entry)?.[1] ?? ''
  return {
    format: 'dbmate',
    version: digits,
    versionNumber: BigInt(digits),
    description: entry.slice(digits.length, -'.sql'.length).replace(/^[_\-. ]+/, ''),
    files: [file],
    up: section(file, parsed.up),
    down: parsed.down ? section(file, parsed.down) : null,
    record: { format: 'dbmate', version: digits },
  }
}

/**
 * dbmate: `{digits}{anything}.sql` files at the top level, applied in file-name (string) order,
 * each with a `-- migrate:up` and a `-- migrate:down` block. Each block, directive line included,
 * is one statement sent as-is in a transaction unless its directive has `transaction:false`.
 * The version is the leading digits kept as a string. Version table: `schema_migrations(version)`.
 *
 * @example
 * const result = await dbmateFormat.load(context)
 * result.migrations[0]?.record // { format: 'dbmate', version: '20240101120000' }
 */
export const dbmateFormat: FormatModule = {
  format: 'dbmate',
  defaultVersionTable: { table: 'schema_migrations' },
  async detect(context) {
    const candidates = topLevelEntries(context).filter((e) => DBMATE_NAME.test(e))
    const texts = await Promise.all(candidates.map((e) => context.read(e).catch(() => '')))
    const directed = candidates.filter((_, i) => DIRECTIVE_ANYWHERE.test(texts[i] ?? ''))
    if (directed.length > 0) return { score: 3, evidence: directed }
    return { score: candidates.length > 0 ? 1 : 0, evidence: candidates }
  },
  async load(context): Promise<FormatLoadResult> {
    const diagnostics: Diagnostic[] = []
    // dbmate sorts by file name as a string: `10_x.sql` comes before `2_x.sql`.
    const entries = topLevelEntries(context)
      .filter((e) => DBMATE_NAME.test(e))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const duplicates: DuplicateVersion[] = []
    const kept = uniqueVersions(context, entries, diagnostics, duplicates)
    diagnostics.push(
      ...(await duplicateVersionDiagnostics(context, duplicates, versionsOf(entries))),
    )
    const misordered = stringOrderHazard(context, kept)
    if (misordered) diagnostics.push(misordered)
    const migrations = await loadAll(
      kept,
      (entry, own) => loadFile(context, entry, own),
      diagnostics,
    )
    return { migrations, files: kept.map((e) => absolute(context, e)), diagnostics }
  },
}
