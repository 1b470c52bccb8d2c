import type { Node } from 'libpg-query'

type LibPgQuery = typeof import('libpg-query')

/** The PostgreSQL major whose grammar libpg-query carries (its package's major version). */
export const PARSER_MAJOR = 18

let parser: LibPgQuery | undefined
let ready: Promise<void> | undefined

/**
 * Loads libpg-query and its WASM module once per process; later calls return the same promise.
 * The import is lazy on purpose: importing libpg-query compiles a 1.7 MB WASM module at once, and
 * test workers that import `@pgtestbed/core` but never lint must not pay for it. A failed load is
 * forgotten so the next call retries.
 */
export function loadParser(): Promise<void> {
  ready ??= import('libpg-query')
    .then(async (module) => {
      await module.loadModule()
      parser = module
    })
    .catch((error: unknown) => {
      ready = undefined
      throw error
    })
  return ready
}

function loaded(): LibPgQuery {
  if (!parser) throw new Error('the SQL parser is not loaded: await loadParser() first')
  return parser
}

/** One top-level SQL command inside a statement, as PostgreSQL's parser sees it. */
interface ParsedCommand {
  node: Node
  /** Character offset of the command's first token in the statement text. */
  start: number
  /** Character offset just past the command (before its `;`). */
  end: number
}

/** What parsing one statement gives: its commands, or PostgreSQL's syntax error. */
export type ParseOutcome =
  | { ok: true; commands: ParsedCommand[] }
  | { ok: false; message: string; offset: number | undefined }

/**
 * Parses one statement (which may hold several `;`-separated commands) with PostgreSQL's own
 * parser. Call {@link loadParser} first. Never throws for bad SQL.
 */
export function parseStatementSql(sql: string): ParseOutcome {
  // libpg-query refuses an empty string; goose emits one for an empty StatementBegin/End pair.
  if (sql.trim() === '') return { ok: true, commands: [] }
  const { parseSync, hasSqlDetails } = loaded()
  let result
  try {
    result = parseSync(sql)
  } catch (error) {
    const details = hasSqlDetails(error) ? error.sqlDetails : undefined
    const message = error instanceof Error ? error.message : String(error)
    // PostgreSQL's cursor position counts characters (code points), unlike statement locations.
    const cursor = details?.cursorPosition
    return {
      ok: false,
      message,
      offset: cursor === undefined || cursor < 0 ? undefined : codePointOffset(sql, cursor),
    }
  }
  // The parser reports UTF-8 byte offsets; the rest of lint works in string (UTF-16) offsets.
  const chars = toChars(sql)
  const commands: ParsedCommand[] = []
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue
    const startByte = raw.stmt_location ?? 0
    // stmt_len 0 means "up to the end of the string" (the last command without a `;`).
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : Number.POSITIVE_INFINITY
    commands.push({ node: raw.stmt, start: chars(startByte), end: chars(endByte) })
  }
  return { ok: true, commands }
}

/** What separates statements when several are parsed in one call. */
const SEPARATOR = '\n;\n'
const SEPARATOR_BYTES = Buffer.byteLength(SEPARATOR)

/**
 * Parses many statements, giving the same result as {@link parseStatementSql} on each. For speed
 * it parses them in one parser call joined by `;` lines (each call into the WASM parser has a
 * fixed cost), halving the batch down to one call per statement when the joined text does not
 * parse, or when a command would run across a statement boundary (a dollar-quoted body cut by goose's
 * splitter must fail on its own, as it does on the server).
 */
export function parseStatements(sqls: readonly string[]): ParseOutcome[] {
  const joined = parseJoined(sqls)
  if (joined) return joined
  // One bad statement should not cost a call per statement for the whole batch: halve it.
  if (sqls.length <= 4) return sqls.map(parseStatementSql)
  const half = sqls.length >>> 1
  return [...parseStatements(sqls.slice(0, half)), ...parseStatements(sqls.slice(half))]
}

function parseJoined(sqls: readonly string[]): ParseOutcome[] | undefined {
  const joined = sqls.join(SEPARATOR)
  if (joined.trim() === '') return sqls.map(() => ({ ok: true, commands: [] }))
  let result
  try {
    result = loaded().parseSync(joined)
  } catch {
    return undefined
  }
  // Byte ranges of each statement in the joined text.
  const starts: number[] = []
  const ends: number[] = []
  let at = 0
  for (const sql of sqls) {
    starts.push(at)
    at += Buffer.byteLength(sql)
    ends.push(at)
    at += SEPARATOR_BYTES
  }
  const outcomes: ParseOutcome[] = sqls.map(() => ({ ok: true, commands: [] }))
  const converters = new Map<number, (byteOffset: number) => number>()
  let k = 0
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue
    const startByte = raw.stmt_location ?? 0
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : at - SEPARATOR_BYTES
    while (k < sqls.length - 1 && startByte >= starts[k + 1]!) k++
    // The command may end on the separator's first newline (a trailing `-- comment`), not later.
    if (startByte < starts[k]! || endByte > ends[k]! + 1) return undefined
    const sql = sqls[k]!
    let chars = converters.get(k)
    if (!chars) {
      chars = toChars(sql)
      converters.set(k, chars)
    }
    const outcome = outcomes[k] as { ok: true; commands: ParsedCommand[] }
    outcome.commands.push({
      node: raw.stmt,
      start: chars(startByte - starts[k]!),
      end: chars(Math.min(endByte, ends[k]!) - starts[k]!),
    })
  }
  return outcomes
}

/** The string offset of the `count`-th code point (they differ only after astral characters). */
function codePointOffset(sql: string, count: number): number {
  let offset = 0
  for (let seen = 0; seen < count && offset < sql.length; seen++) {
    offset += (sql.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1
  }
  return offset
}

/** A converter from UTF-8 byte offsets in `sql` to string offsets (identity for ASCII text). */
function toChars(sql: string): (byteOffset: number) => number {
  if (Buffer.byteLength(sql) === sql.length) return (offset) => Math.min(offset, sql.length)
  const bytes = Buffer.from(sql, 'utf8')
  return (offset) => bytes.subarray(0, Math.min(offset, bytes.length)).toString('utf8').length
}
