import { createHash } from 'node:crypto'
import type { Statement } from '../../types.js'

/** The literal marker drizzle-kit writes between statements. drizzle-orm splits on it verbatim. */
const DRIZZLE_BREAKPOINT = '--> statement-breakpoint'

/**
 * drizzle's migration hash: lowercase hex SHA-256 of the file text exactly as read (UTF-8, a BOM
 * kept, CRLF kept; drizzle-orm 0.45 and v1.0.0-rc.4 hash `readFileSync(...).toString()` as is).
 *
 * @example
 * drizzleHash('CREATE TABLE "t" ();') // '…64 hex digits…'
 */
export function drizzleHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * Splits a drizzle migration the way drizzle-orm does: on the literal `--> statement-breakpoint`,
 * with no trimming, so each chunk keeps its surrounding whitespace and an empty or
 * whitespace-only chunk is still a statement (PostgreSQL accepts an empty query).
 *
 * `line` is the chunk's first non-blank line (the chunk's own first line when it is all blank);
 * `endLine` its last non-blank line.
 *
 * @example
 * splitDrizzleSql('A;\n--> statement-breakpoint\nB;')
 * // [{ sql: 'A;\n', line: 1, endLine: 1 }, { sql: '\nB;', line: 3, endLine: 3 }]
 */
export function splitDrizzleSql(text: string): Statement[] {
  const statements: Statement[] = []
  // 1-based line on which the current chunk starts.
  let startLine = 1
  for (const sql of text.split(DRIZZLE_BREAKPOINT)) {
    const lines = sql.split('\n')
    let first = -1
    let last = -1
    lines.forEach((lineText, i) => {
      if (lineText.trim() === '') return
      if (first === -1) first = i
      last = i
    })
    statements.push({
      sql,
      line: startLine + (first === -1 ? 0 : first),
      endLine: startLine + (last === -1 ? 0 : last),
    })
    // The marker has no newline of its own, so the next chunk starts on this chunk's last line.
    startLine += lines.length - 1
  }
  return statements
}
