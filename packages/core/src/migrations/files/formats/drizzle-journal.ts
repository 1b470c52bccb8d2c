import type { Diagnostic, DiagnosticCode, SourceLocation } from '../../../diagnostics.js'
import type { Migration } from '../../types.js'
import type { FormatContext, FormatLoadResult } from './types.js'
import { JOURNAL_PATH, numericPrefix, toMigration } from './drizzle-common.js'
import { absolute, readEntry } from './file-names.js'
import { JsonSyntaxError, lineAt, parseJsonTree } from './drizzle-json.js'
import type { JsonNode } from './drizzle-json.js'

/** A journal entry that passed the field checks, with the lines diagnostics point at. */
interface Entry {
  position: number
  tag: string
  when: number
  idx: number | undefined
  /** Line of the entry's `"tag"`. */
  line: number
  /** Line of the entry's `"when"`. */
  whenLine: number
}

/** Reports an error about the journal at `line`. */
type Report = (
  code: DiagnosticCode,
  message: string,
  line: number,
  fix: string,
  /** Another place involved: a location, or a line of the journal. */
  related?: SourceLocation | number,
) => void

const REGENERATE = 'or regenerate the migration with `drizzle-kit generate`'

/**
 * Loads drizzle-kit's 0.x layout: `meta/_journal.json` entries in array order, each `<tag>.sql`.
 * Everything drizzle-orm does silently (a file the journal does not list, an entry it would skip
 * because of its `when`) is reported here as an error.
 */
export async function loadJournalLayout(context: FormatContext): Promise<FormatLoadResult> {
  const diagnostics: Diagnostic[] = []
  const journalFile = absolute(context, JOURNAL_PATH)
  const result = (migrations: Migration[] = []): FormatLoadResult => ({
    migrations,
    files: [journalFile, ...migrations.map((m) => m.up.file)],
    diagnostics,
    layout: 'journal',
  })
  const report: Report = (code, message, line, fix, related) => {
    diagnostics.push({
      severity: 'error',
      code,
      message: `${JOURNAL_PATH}: ${message}`,
      file: journalFile,
      line,
      fix,
      ...(related === undefined
        ? {}
        : {
            related: [typeof related === 'number' ? { file: journalFile, line: related } : related],
          }),
    })
  }

  const text = await readEntry(context, JOURNAL_PATH, diagnostics)
  if (text === null) return result()
  const parsed = parseJournal(text, report)
  if (parsed === undefined) return result()
  const entries = checkEntries(text, parsed.entriesNode, parsed.values, report)
  checkWhenIncreases(entries, report)

  // Which `.sql` files exist and which the journal lists: a mismatch either way is incident 5.
  const listing = new Set(context.entries)
  const listed = new Set(entries.map((e) => `${e.tag}.sql`))
  const unlisted = context.entries.filter(
    (e) => !e.includes('/') && e.endsWith('.sql') && !listed.has(e),
  )

  const migrations: Migration[] = []
  const seen = new Set<string>()
  for (const entry of entries) {
    // A duplicate tag was reported by checkEntries; applying the file twice would only fail.
    if (seen.has(entry.tag)) continue
    seen.add(entry.tag)
    const relativePath = `${entry.tag}.sql`
    if (!listing.has(relativePath)) {
      const renamed = unlisted.find((f) => numericPrefix(f) === numericPrefix(entry.tag))
      report(
        'JOURNAL_FILE_MISSING',
        `entry "${entry.tag}" has no file ${relativePath} (drizzle fails with "No file ${relativePath} found")`,
        entry.line,
        renamed
          ? `${renamed} looks like this migration renamed: set the entry's "tag" to "${renamed.slice(0, -4)}", or rename the file back to ${relativePath}`
          : `restore ${relativePath} (e.g. from git), or, if no database has applied it yet, remove the entry from ${JOURNAL_PATH}`,
        { file: absolute(context, relativePath) },
      )
      continue
    }
    const sql = await readEntry(context, relativePath, diagnostics)
    if (sql === null) continue
    migrations.push(
      toMigration(context, {
        index: migrations.length,
        version: entry.tag,
        relativePath,
        text: sql,
        createdAt: entry.when,
      }),
    )
  }

  for (const file of unlisted) {
    const name = file.slice(0, -4).replace(/^[^_]*_/, '')
    diagnostics.push({
      severity: 'error',
      code: 'JOURNAL_UNLISTED_FILE',
      message: `${file} is not listed in ${JOURNAL_PATH}, so drizzle never applies it`,
      file: absolute(context, file),
      related: [{ file: journalFile }],
      fix:
        `if it is a migration, run \`drizzle-kit generate --custom --name=${name}\`, move this SQL into the ` +
        `generated file (that adds the journal entry) and delete ${file}; otherwise move it out of the migrations folder`,
    })
  }
  return result(migrations)
}

/** Parses the journal text; reports a syntax error, a non-object or a missing `entries`. */
function parseJournal(
  text: string,
  report: Report,
): { entriesNode: JsonNode; values: unknown[] } | undefined {
  let tree: JsonNode
  try {
    tree = parseJsonTree(text)
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error
    const conflict = /^(<{7}|={7}|>{7})( |$)/m.exec(text)
    if (conflict) {
      report(
        'JOURNAL_INVALID',
        'has unresolved merge conflict markers',
        lineAt(text, conflict.index),
        'keep the entries of both branches in increasing "when" order, renumber "idx" 0..n-1 and remove the markers, ' +
          REGENERATE,
      )
    } else {
      const line = lineAt(text, error.offset)
      report(
        'JOURNAL_INVALID',
        `is not valid JSON: ${error.message} (line ${line})`,
        line,
        `fix the JSON at line ${line}, ${REGENERATE}`,
      )
    }
    return undefined
  }
  const root = JSON.parse(text) as Record<string, unknown>
  const member = (key: string) => tree.properties?.find((p) => p.key === key)
  const entries = member('entries')
  if (tree.type !== 'object' || entries?.value.type !== 'array') {
    report(
      'JOURNAL_INVALID',
      tree.type === 'object' ? 'has no "entries" array' : 'is not a JSON object',
      entries === undefined ? 1 : lineAt(text, entries.offset),
      `restore the file from git, ${REGENERATE}`,
    )
    return undefined
  }
  const dialect = root.dialect
  if (dialect !== undefined && dialect !== 'postgresql' && dialect !== 'pg') {
    report(
      'JOURNAL_INVALID',
      `dialect is ${JSON.stringify(dialect)}, not "postgresql"`,
      lineAt(text, member('dialect')?.offset ?? 0),
      'point pgtestbed at the folder drizzle-kit generates for PostgreSQL (the `out` of a config with dialect "postgresql")',
    )
    return undefined
  }
  return { entriesNode: entries.value, values: root.entries as unknown[] }
}

/** Checks each entry's fields and uniqueness; returns the usable entries, reports the rest. */
function checkEntries(text: string, node: JsonNode, values: unknown[], report: Report): Entry[] {
  const entries: Entry[] = []
  const tags = new Map<string, Entry>()
  const indexes = new Map<number, Entry>()
  const restore = `restore the entry from git, ${REGENERATE}`
  ;(node.items ?? []).forEach((item, position) => {
    const value = values[position]
    const line = lineAt(text, item.offset)
    if (item.type !== 'object') {
      report('JOURNAL_INVALID', `entry ${position} is not an object`, line, restore)
      return
    }
    const fieldLine = (key: string) => {
      const property = item.properties?.find((p) => p.key === key)
      return property === undefined ? line : lineAt(text, property.offset)
    }
    const { tag, when, idx } = value as Record<string, unknown>
    if (typeof tag !== 'string' || tag === '') {
      report(
        'JOURNAL_INVALID',
        `entry ${position} has no "tag" (the file name without .sql)`,
        fieldLine('tag'),
        restore,
      )
      return
    }
    if (typeof when !== 'number' || !Number.isSafeInteger(when) || when < 0) {
      report(
        'JOURNAL_INVALID',
        `entry "${tag}" has ${when === undefined ? 'no "when"' : `"when": ${JSON.stringify(when)}`}; drizzle needs the generation time in milliseconds since 1970`,
        fieldLine('when'),
        `set "when" to an integer above the previous entry's, ${REGENERATE}`,
      )
      return
    }
    if (idx !== undefined && (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0)) {
      report(
        'JOURNAL_INVALID',
        `entry "${tag}" has "idx": ${JSON.stringify(idx)}, not a 0-based position`,
        fieldLine('idx'),
        `set "idx" to ${position}`,
      )
      return
    }
    const entry: Entry = {
      position,
      tag,
      when,
      idx,
      line: fieldLine('tag'),
      whenLine: fieldLine('when'),
    }
    const sameTag = tags.get(tag)
    const sameIdx = idx === undefined ? undefined : indexes.get(idx)
    if (sameTag) {
      report(
        'JOURNAL_DUPLICATE_TAG',
        `tag "${tag}" is listed twice (entries ${sameTag.position} and ${position}); drizzle would run ${tag}.sql twice`,
        entry.line,
        'remove the duplicate entry (usually left by a merge)',
        sameTag.line,
      )
    } else if (sameIdx) {
      report(
        'JOURNAL_DUPLICATE_TAG',
        `idx ${idx} is used by both "${sameIdx.tag}" and "${tag}" (usually two branches that each generated a migration)`,
        fieldLine('idx'),
        `renumber "idx" to each entry's 0-based position (this one is ${position}) and keep "when" increasing, ${REGENERATE}`,
        sameIdx.line,
      )
    }
    if (!sameTag) tags.set(tag, entry)
    if (idx !== undefined && !sameIdx) indexes.set(idx, entry)
    entries.push(entry)
  })
  return entries
}

/**
 * drizzle applies an entry only when its `when` is above the newest applied `created_at`, so an
 * entry not later than an earlier one is skipped forever on every database that has that one.
 */
function checkWhenIncreases(entries: readonly Entry[], report: Report): void {
  let latest: Entry | undefined
  for (const entry of entries) {
    if (latest && entry.when <= latest.when) {
      report(
        'JOURNAL_WHEN_NOT_INCREASING',
        `entry "${entry.tag}" has "when" ${entry.when} (${iso(entry.when)}), not later than earlier entry ` +
          `"${latest.tag}" (${latest.when}, ${iso(latest.when)}): drizzle skips "${entry.tag}" forever on any database that has "${latest.tag}"`,
        entry.whenLine,
        `set "when" of "${entry.tag}" above ${latest.when} (e.g. ${latest.when + 1}), or regenerate the migration with \`drizzle-kit generate\``,
        latest.whenLine,
      )
    }
    if (!latest || entry.when > latest.when) latest = entry
  }
}

function iso(millis: number): string {
  const date = new Date(millis)
  return Number.isNaN(date.getTime()) ? 'invalid date' : date.toISOString()
}
