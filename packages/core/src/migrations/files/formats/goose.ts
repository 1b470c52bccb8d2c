import type { Diagnostic } from '../../../diagnostics.js'
import { parseGooseSql } from '../sqlparser/goose.js'
import type { Migration, MigrationSection } from '../../types.js'
import {
  INT64_MAX,
  absolute,
  loadAll,
  nextVersion,
  proposeName,
  readEntry,
  topLevelEntries,
} from './file-names.js'
import { duplicateVersionDiagnostics, type DuplicateVersion } from './duplicates.js'
import type { FormatContext, FormatLoadResult, FormatModule } from './types.js'

/** A goose file name, split as goose's `NumericComponent` splits it. */
export type GooseFileName =
  | { ok: true; version: bigint; digits: string; description: string }
  | { ok: false; code: 'BAD_FILENAME' | 'VERSION_OUT_OF_RANGE'; reason: string }

/**
 * Parses a migration file name exactly like goose's `NumericComponent` (migration.go): the
 * extension must be `.sql` or `.go` (case-sensitive), the version is the text before the FIRST
 * `_`, read as a base-10 int64 (leading zeros and a leading `+` allowed) that must be ≥ 1.
 * The reasons are goose's own error texts.
 *
 * @example
 * parseGooseFileName('00001_create_users.sql') // { ok: true, version: 1n, digits: '00001', description: 'create_users' }
 * parseGooseFileName('001-init.sql') // { ok: false, code: 'BAD_FILENAME', reason: "no filename separator '_' found" }
 */
export function parseGooseFileName(base: string): GooseFileName {
  const dot = base.lastIndexOf('.')
  const ext = dot < 0 ? '' : base.slice(dot)
  if (ext !== '.sql' && ext !== '.go') {
    return {
      ok: false,
      code: 'BAD_FILENAME',
      reason: 'migration file does not have .sql or .go file extension',
    }
  }
  const separator = base.indexOf('_')
  if (separator < 0) {
    return { ok: false, code: 'BAD_FILENAME', reason: "no filename separator '_' found" }
  }
  const digits = base.slice(0, separator)
  const parse = `failed to parse version from migration file: ${base}: strconv.ParseInt: parsing "${digits}"`
  if (!/^[+-]?\d+$/.test(digits)) {
    return { ok: false, code: 'BAD_FILENAME', reason: `${parse}: invalid syntax` }
  }
  const version = BigInt(digits)
  if (version > INT64_MAX || version < -INT64_MAX - 1n) {
    return { ok: false, code: 'VERSION_OUT_OF_RANGE', reason: `${parse}: value out of range` }
  }
  if (version < 1n) {
    return {
      ok: false,
      code: 'BAD_FILENAME',
      reason: 'migration version must be greater than zero',
    }
  }
  return { ok: true, version, digits, description: base.slice(separator + 1, dot) }
}

// goose's annotation test: a line that starts with `--` (after whitespace) and mentions `+goose`.
const ANNOTATION = /^[ \t]*--[^\n]*\+goose/m

interface Named {
  entry: string
  version: bigint
  digits: string
  description: string
}

function renameFix(entry: string, next: string): string {
  if (entry.startsWith('._')) return `delete ${entry}: it is a macOS metadata file, not a migration`
  const proposal = proposeName(entry, 'goose', next)
  const move = 'move it out of the migrations folder (goose reads every .sql file there)'
  return proposal ? `rename it to ${proposal} if it is a migration, or ${move}` : move
}

/** Names every top-level file, reporting the ones goose's CLI refuses or pgtestbed cannot run. */
function collect(
  context: FormatContext,
  diagnostics: Diagnostic[],
  duplicates: DuplicateVersion[],
): Named[] {
  const entries = topLevelEntries(context)
  const parsed = entries.map((entry) => ({ entry, name: parseGooseFileName(entry) }))
  const valid = parsed.flatMap((p) => (p.name.ok ? [{ entry: p.entry, ...p.name }] : []))
  const width = valid[0]?.digits.replace(/^\+/, '').length ?? 5
  // Numbers in names goose rejects count too, so a proposed name never collides with them.
  const numbers = entries.flatMap((e) => {
    const digits = /^\+?(\d+)/.exec(e)?.[1]
    return digits && BigInt(digits) <= INT64_MAX ? [BigInt(digits)] : []
  })
  const next = nextVersion(numbers, width)
  for (const { entry, name } of parsed) {
    if (entry.endsWith('.go') && !entry.endsWith('_test.go') && name.ok) {
      diagnostics.push({
        severity: 'error',
        code: 'UNSUPPORTED_MIGRATION',
        message: `${entry} is a goose Go migration (version ${name.version}): pgtestbed applies SQL migrations only and cannot run Go code compiled into your goose binary`,
        file: absolute(context, entry),
        fix: `rewrite it as a SQL migration (${entry.replace(/\.go$/, '.sql')}) if it only runs SQL; otherwise pgtestbed cannot build this project's database`,
      })
    } else if (entry.endsWith('.sql') && !name.ok) {
      diagnostics.push({
        severity: 'error',
        code: name.code,
        message: `${entry} is not a valid goose migration name (${name.reason}); the goose CLI stops with "could not parse SQL migration file"`,
        file: absolute(context, entry),
        fix: renameFix(entry, next),
      })
    }
  }
  const sql = valid
    .filter((v) => v.entry.endsWith('.sql'))
    .sort((a, b) =>
      a.version < b.version ? -1 : a.version > b.version ? 1 : a.entry < b.entry ? -1 : 1,
    )
  const kept: Named[] = []
  for (const file of sql) {
    const previous = kept[kept.length - 1]
    if (previous && previous.version === file.version) {
      duplicates.push({
        version: file.version.toString(),
        first: previous.entry,
        second: file.entry,
        consequence: `goose stops with "goose: duplicate version ${file.version} detected" and the order between them is undefined`,
        width: file.digits.length,
        renamed: (entry, version) => entry.replace(/^[+-]?\d+/, version),
      })
      continue
    }
    kept.push(file)
  }
  return kept
}

async function loadFile(
  context: FormatContext,
  named: Named,
  diagnostics: Diagnostic[],
): Promise<Omit<Migration, 'index'> | null> {
  const text = await readEntry(context, named.entry, diagnostics)
  if (text === null) return null
  const file = absolute(context, named.entry)
  const parsed = parseGooseSql(text, { file, env: context.env })
  diagnostics.push(...parsed.diagnostics)
  if (!parsed.up) return null
  const section = (s: { line: number; statements: MigrationSection['statements'] }) => ({
    file,
    line: s.line,
    statements: s.statements,
    transaction: parsed.useTx,
  })
  return {
    format: 'goose',
    version: named.version.toString(),
    versionNumber: named.version,
    description: named.description,
    files: [file],
    up: section(parsed.up),
    down: parsed.down ? section(parsed.down) : null,
    record: { format: 'goose', versionId: named.version },
  }
}

/**
 * pressly/goose SQL migrations: `{version}_{description}.sql` at the top level, sorted by
 * version, each with `-- +goose Up` (and optionally `-- +goose Down`), parsed in both directions
 * by the goose-compatible splitter. Names are checked like the goose CLI does (a `.sql` file it
 * cannot parse stops it); Go migrations are reported because pgtestbed cannot run them.
 * Version table: `goose_db_version`.
 *
 * @example
 * const result = await gooseFormat.load(context)
 * result.migrations[0]?.record // { format: 'goose', versionId: 1n }
 */
export const gooseFormat: FormatModule = {
  format: 'goose',
  defaultVersionTable: { table: 'goose_db_version' },
  async detect(context) {
    const candidates = topLevelEntries(context).filter((e) => e.endsWith('.sql'))
    const texts = await Promise.all(candidates.map((e) => context.read(e).catch(() => '')))
    const annotated = candidates.filter((_, i) => ANNOTATION.test(texts[i] ?? ''))
    if (annotated.length > 0) return { score: 3, evidence: annotated }
    const named = candidates.filter((e) => parseGooseFileName(e).ok)
    return { score: named.length > 0 ? 1 : 0, evidence: named }
  },
  async load(context): Promise<FormatLoadResult> {
    const diagnostics: Diagnostic[] = []
    const duplicates: DuplicateVersion[] = []
    const kept = collect(context, diagnostics, duplicates)
    diagnostics.push(
      ...(await duplicateVersionDiagnostics(
        context,
        duplicates,
        kept.map((k) => k.version),
      )),
    )
    const migrations = await loadAll(
      kept,
      (named, own) => loadFile(context, named, own),
      diagnostics,
    )
    return { migrations, files: kept.map((k) => absolute(context, k.entry)), diagnostics }
  },
}
