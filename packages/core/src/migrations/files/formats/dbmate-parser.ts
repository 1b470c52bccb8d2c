import type { Diagnostic } from '../../../diagnostics.js'
import { lastLine } from './file-names.js'

/** One `-- migrate:up` / `-- migrate:down` block of a dbmate file. */
export interface DbmateBlock {
  /** 1-based line of the directive. */
  line: number
  /** The block's text exactly as dbmate sends it: from the directive to the next directive or the end. */
  sql: string
  /** 1-based last line of the block. */
  endLine: number
  /** False when the directive carries `transaction:false`. */
  transaction: boolean
}

/** What {@link parseDbmateSql} found in one file. */
export interface DbmateParseResult {
  /** The first up block, or `null` when the file has none usable. */
  up: DbmateBlock | null
  /** The down block that follows it, or `null`. */
  down: DbmateBlock | null
  diagnostics: Diagnostic[]
}

interface Directive {
  kind: 'up' | 'down'
  line: number
  offset: number
  transaction: boolean
}

// dbmate's directive (pkg/dbmate/migration.go): at column 1, `--`, optional whitespace,
// `migrate:up|down`, then the end of the line or whitespace plus options. Case-sensitive.
const DIRECTIVE = /^--\s*migrate:(up|down)(?:\s*$|\s+\S)/
// Lines that look like a directive but that dbmate does not recognise (indented, other case).
const NEAR_MISS = /^\s*--\s*migrate:\s*(up|down)\b/i
const BLANK_OR_COMMENT = /^\s*(--.*)?$/

/**
 * Options after the directive, read like dbmate does: whitespace-separated `key:value` words;
 * only `transaction:false` means anything.
 */
function transactionOption(line: string): boolean {
  for (const word of line.trim().split(/\s+/)) {
    const pair = word.split(':')
    if (pair.length === 2 && pair[0] === 'transaction' && pair[1] === 'false') return false
  }
  return true
}

/**
 * Parses a dbmate migration file into its up and down blocks, reporting every problem dbmate
 * would refuse the file for (and multi-section files, which are broken on PostgreSQL upstream).
 *
 * Each block, directive line included, is ONE statement: dbmate sends it in a single Exec, in a
 * transaction unless the directive says `transaction:false`.
 *
 * @example
 * parseDbmateSql('-- migrate:up\ncreate table t (id int);\n-- migrate:down\ndrop table t;\n', { file: '/m/1_t.sql', name: '1_t.sql' })
 * // { up: { line: 1, sql: '-- migrate:up\ncreate table t (id int);\n', endLine: 2, transaction: true }, down: {...}, diagnostics: [] }
 */
export function parseDbmateSql(
  text: string,
  options: { file: string; name: string },
): DbmateParseResult {
  const { file, name } = options
  const diagnostics: Diagnostic[] = []
  const error = (code: Diagnostic['code'], message: string, fix: string, line?: number) =>
    diagnostics.push({ severity: 'error', code, message, file, fix, ...(line ? { line } : {}) })

  const directives: Directive[] = []
  const nearMisses: { line: number; text: string }[] = []
  let firstStatementLine = 0
  let offset = 0
  let lineNumber = 0
  while (offset <= text.length) {
    const end = text.indexOf('\n', offset)
    const line = text.slice(offset, end < 0 ? text.length : end)
    lineNumber++
    const match = DIRECTIVE.exec(line)
    if (match) {
      const kind = match[1] === 'up' ? 'up' : 'down'
      directives.push({ kind, line: lineNumber, offset, transaction: transactionOption(line) })
    } else {
      if (NEAR_MISS.test(line)) nearMisses.push({ line: lineNumber, text: line.trim() })
      if (!firstStatementLine && directives.length === 0 && !BLANK_OR_COMMENT.test(line)) {
        firstStatementLine = lineNumber
      }
    }
    if (end < 0) break
    offset = end + 1
  }

  const nearMiss = (kind: 'up' | 'down') => {
    const miss = nearMisses.find((m) => m.text.toLowerCase().includes(`migrate:${kind}`))
    return miss
      ? ` (line ${miss.line}, "${miss.text}", is not a directive: dbmate wants it lower-case, at the start of the line)`
      : ''
  }
  const firstUp = directives.find((d) => d.kind === 'up')
  const firstDown = directives.find((d) => d.kind === 'down')
  if (!firstUp) {
    error(
      'MISSING_UP',
      `${name} has no up block: "dbmate requires each migration to define an up block with '-- migrate:up'"${nearMiss('up')}`,
      'start the migration with a line `-- migrate:up` (lower-case, no indentation) followed by its SQL',
      nearMisses.find((m) => m.text.toLowerCase().includes('migrate:up'))?.line,
    )
  }
  if (!firstDown) {
    error(
      'MISSING_DOWN',
      `${name} has no down block: "dbmate requires each migration to define a down block with '-- migrate:down'"${nearMiss('down')}`,
      'add a line `-- migrate:down` after the up block, followed by the SQL that undoes it (it may be empty)',
      nearMisses.find((m) => m.text.toLowerCase().includes('migrate:down'))?.line,
    )
  }
  if (!firstUp || !firstDown) return { up: null, down: null, diagnostics }
  if (firstDown.line < firstUp.line) {
    error(
      'DOWN_BEFORE_UP',
      `${name}: the down block (line ${firstDown.line}) comes before the up block (line ${firstUp.line}): "dbmate requires '-- migrate:up' to appear before '-- migrate:down'"`,
      'move the `-- migrate:up` block above the `-- migrate:down` block',
      firstDown.line,
    )
    return { up: null, down: null, diagnostics }
  }
  if (firstStatementLine && firstStatementLine < firstUp.line) {
    error(
      'SQL_BEFORE_UP',
      `${name}: line ${firstStatementLine} holds SQL before the '-- migrate:up' line: "dbmate does not support statements preceding the '-- migrate:up' block"`,
      'move that SQL below `-- migrate:up` (only blank lines and `--` comments may come before it)',
      firstStatementLine,
    )
  }
  let previous: Directive | undefined
  for (const directive of directives) {
    if (directive.kind === 'down' && previous?.kind === 'down') {
      error(
        'DUPLICATE_DOWN',
        `${name}: a second '-- migrate:down' on line ${directive.line} follows the one on line ${previous.line}: "dbmate requires every '-- migrate:down' to be preceded by a '-- migrate:up'"`,
        'keep one down block per up block; merge the two down blocks',
        directive.line,
      )
    }
    if (directive.kind === 'up' && directive !== firstUp) {
      error(
        'MULTIPLE_SECTIONS',
        `${name} has a second '-- migrate:up' section on line ${directive.line}: dbmate (2.29+) runs each section in its own transaction but records the version once per section, which fails on PostgreSQL with a duplicate key after the first section (dbmate issue #820)`,
        'split the file: move the second up/down section into a new migration file with the next version',
        directive.line,
      )
    }
    previous = directive
  }

  const block = (directive: Directive): DbmateBlock => {
    const next = directives.find((d) => d.offset > directive.offset)
    const sql = text.slice(directive.offset, next ? next.offset : text.length)
    return {
      line: directive.line,
      sql,
      endLine: lastLine(sql, directive.line),
      transaction: directive.transaction,
    }
  }
  const down = directives.find((d) => d.kind === 'down' && d.offset > firstUp.offset)
  return { up: block(firstUp), down: down ? block(down) : null, diagnostics }
}
