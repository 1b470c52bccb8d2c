import { readFileSync } from 'node:fs'
import type { Statement } from '../migrations/types.js'

/** A migration file's lines (without line terminators), for line mapping and suppressions. */
export interface SourceFile {
  lines: string[]
}

/**
 * Reads each file once, or takes its text from `known` (what discovery read). A file that cannot
 * be read maps to `undefined`: discovery already reported it, and lint then falls back to the
 * statements' own line numbers.
 *
 * Reads synchronously on purpose: for a thousand small files this is several times faster than
 * `fs.promises.readFile` (one syscall chain per file instead of four thread-pool round trips),
 * and lint is CPU-bound anyway.
 */
export function readSources(
  files: Iterable<string>,
  known?: ReadonlyMap<string, string>,
): Map<string, SourceFile | undefined> {
  const sources = new Map<string, SourceFile | undefined>()
  for (const file of files) {
    if (sources.has(file)) continue
    let text = known?.get(file)
    if (text === undefined) {
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        text = undefined
      }
    }
    sources.set(file, text === undefined ? undefined : { lines: text.split(/\r?\n/) })
  }
  return sources
}

/** Maps string offsets in one statement's SQL to 1-based file lines. */
export interface LineMap {
  /** The file line of the character at `offset` in the statement text. */
  lineAt(offset: number): number
}

/**
 * Builds the line map of a statement. `Statement.line` is the line of the statement's first
 * non-blank line, while the text may start with blank lines (drizzle keeps the newline after each
 * breakpoint); when the file is at hand, the line is checked against it so that a format module
 * that counts from the text's very first line is also mapped right.
 */
export function statementLines(statement: Statement, source: SourceFile | undefined): LineMap {
  const sql = statement.sql
  const newlines: number[] = []
  for (let i = sql.indexOf('\n'); i !== -1; i = sql.indexOf('\n', i + 1)) newlines.push(i)
  const firstContent = sql.search(/\S/)
  const lead = firstContent <= 0 ? 0 : countBefore(newlines, firstContent)
  let start = statement.line - lead
  if (source && lead > 0) {
    const firstLine = sql
      .slice(newlines[lead - 1]! + 1)
      .split('\n', 1)[0]!
      .trim()
    const matches = (candidate: number) => source.lines[candidate + lead - 1]?.trim() === firstLine
    if (!matches(start) && matches(statement.line)) start = statement.line
  }
  return { lineAt: (offset) => start + countBefore(newlines, offset) }
}

/** How many entries of the sorted `offsets` are below `offset` (binary search). */
function countBefore(offsets: readonly number[], offset: number): number {
  let low = 0
  let high = offsets.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (offsets[mid]! < offset) low = mid + 1
    else high = mid
  }
  return low
}
