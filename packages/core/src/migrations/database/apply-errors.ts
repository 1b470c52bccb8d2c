import { displayPath } from '../../diagnostics.js'
import { PgtestbedError } from '../../errors.js'
import type { Migration, MigrationFormat, Statement } from '../types.js'
import { plural } from '../../internal/plural.js'

/** What PostgreSQL reported about a failed statement (the fields it sent; others are absent). */
export interface PostgresErrorFields {
  /** `ERROR`, `FATAL`… */
  severity?: string
  /** The SQLSTATE, e.g. `42P01`. */
  code?: string
  message: string
  detail?: string
  hint?: string
  /** The call stack inside functions (PL/pgSQL context). */
  where?: string
  /** 1-based character offset into the query text that was sent, when PostgreSQL gave one. */
  position?: number
  schema?: string
  table?: string
  column?: string
  constraint?: string
}

/** Everything known about a failed migration step. */
export interface MigrationApplyErrorDetails {
  /** The migration that failed. */
  migration: Migration
  /** How messages name it: its file relative to the migrations folder. */
  name: string
  format: MigrationFormat
  direction: 'up' | 'down'
  /** Absolute path of the file holding the failing statement. */
  file: string
  /**
   * 1-based number of the failing statement within the section, or undefined when the
   * version-table bookkeeping around the statements failed.
   */
  statementNumber?: number
  /** 1-based file line where the failing statement starts. */
  statementLine?: number
  /** 1-based file line PostgreSQL's error position points to, when it gave a position. */
  errorLine?: number
  /** 1-based column on `errorLine`. */
  errorColumn?: number
  /** The failing statement's SQL. */
  statement?: string
  /** PostgreSQL's report. */
  postgres: PostgresErrorFields
  /** Migrations completed earlier in this run, in order. */
  applied: Migration[]
  /** Whether the section ran in a transaction (so nothing of it was kept). */
  transactional: boolean
  /** Statements of this migration that ran and stay (only without a transaction). */
  statementsKept: number
  /** The version table, as displayed. */
  versionTable: string
  /**
   * The run held one transaction for all its migrations (drizzle, node-pg-migrate), so the
   * migrations before this one were rolled back with it.
   */
  runTransaction?: boolean
}

/**
 * Thrown when a migration statement fails while applying (or rolling back). Like goose's
 * `PartialError` it says what was applied before the failure and what failed; unlike a bare
 * driver error it names the file, the statement, the line, and PostgreSQL's code, detail and
 * hint. `cause` is the original `pg` error.
 *
 * @example
 * try { await applyMigrations(client, set) }
 * catch (error) {
 *   if (isPgtestbedError(error) && error instanceof MigrationApplyError) {
 *     console.error(error.file, error.errorLine ?? error.statementLine, error.postgres.code)
 *   }
 * }
 */
export class MigrationApplyError extends PgtestbedError {
  declare readonly code: 'APPLY_FAILED'
  readonly migration: Migration
  readonly direction: 'up' | 'down'
  readonly file: string
  readonly statementNumber: number | undefined
  readonly statementLine: number | undefined
  readonly errorLine: number | undefined
  readonly statement: string | undefined
  readonly postgres: PostgresErrorFields
  /** Migrations completed earlier in this run, in order. */
  readonly applied: readonly Migration[]
  /** Statements of the failing migration that ran and stay (migrations without a transaction). */
  readonly statementsKept: number

  constructor(details: MigrationApplyErrorDetails, options: { cause?: unknown } = {}) {
    super('APPLY_FAILED', formatApplyFailure(details), {
      cause: options.cause,
      fix: fixFor(details),
    })
    this.migration = details.migration
    this.direction = details.direction
    this.file = details.file
    this.statementNumber = details.statementNumber
    this.statementLine = details.statementLine
    this.errorLine = details.errorLine
    this.statement = details.statement
    this.postgres = details.postgres
    this.applied = details.applied
    this.statementsKept = details.statementsKept
  }
}

/** Reads the fields `pg` puts on a server error; anything else becomes a bare message. */
export function postgresErrorFields(error: unknown): PostgresErrorFields {
  if (typeof error !== 'object' || error === null) return { message: String(error) }
  const e = error as Record<string, unknown>
  const text = (key: string) =>
    typeof e[key] === 'string' && e[key] !== '' ? (e[key] as string) : undefined
  const position = text('position')
  return {
    severity: text('severity'),
    code: text('code'),
    message: text('message') ?? String(error),
    detail: text('detail'),
    hint: text('hint'),
    where: text('where'),
    position: position === undefined ? undefined : Number(position),
    schema: text('schema'),
    table: text('table'),
    column: text('column'),
    constraint: text('constraint'),
  }
}

/** Where a character offset of a statement lies in its file. */
export interface StatementPosition {
  /** 1-based file line where the statement's text starts. */
  statementLine: number
  /** 1-based file line of the offset, or undefined when the offset is outside the statement. */
  line?: number
  /** 1-based column of the offset on that line. */
  column?: number
}

/**
 * Maps PostgreSQL's error position to a file line. `position` is 1-based and counts characters
 * (code points, not UTF-16 units) of the query that was sent; `prefixLength` is how many
 * characters were sent before the statement's own text (a folded `BEGIN;`).
 */
export function locateInStatement(
  statement: Statement,
  position: number | undefined,
  prefixLength = 0,
): StatementPosition {
  const chars = Array.from(statement.sql)
  let leading = 0
  let firstContent = 0
  while (firstContent < chars.length && /\s/.test(chars[firstContent] ?? '')) {
    if (chars[firstContent] === '\n') leading++
    firstContent++
  }
  const base = baseLine(statement, chars, leading)
  const statementLine = base + leading
  if (position === undefined) return { statementLine }
  const index = position - 1 - prefixLength
  if (index < 0 || index >= chars.length) return { statementLine }
  let line = base
  let lineStart = 0
  for (let i = 0; i < index; i++) {
    if (chars[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { statementLine, line: Math.max(line, statementLine), column: index - lineStart + 1 }
}

/**
 * The file line of the statement's first character. Format modules give `line` as the first line
 * with content; a statement that keeps leading newlines (drizzle chunks start with one) starts
 * that many lines earlier. `endLine` tells the two conventions apart when they differ.
 */
function baseLine(statement: Statement, chars: string[], leading: number): number {
  if (leading === 0) return statement.line
  const newlines = chars.filter((c) => c === '\n').length
  let trailing = 0
  for (let i = chars.length - 1; i >= 0 && /\s/.test(chars[i] ?? ''); i--)
    if (chars[i] === '\n') trailing++
  const fits = (b: number) =>
    statement.endLine === b + newlines || statement.endLine === b + newlines - trailing
  const contentFirst = statement.line - leading
  return fits(statement.line) && !fits(contentFirst) ? statement.line : contentFirst
}

const MAX_SHOWN_LINES = 12
const MAX_LINE_LENGTH = 160

function formatApplyFailure(d: MigrationApplyErrorDetails): string {
  const verb = d.direction === 'up' ? 'apply' : 'roll back'
  const pg = d.postgres
  const pgText = `${pg.severity ?? 'ERROR'}${pg.code ? ` ${pg.code}` : ''}: ${pg.message}`
  let where: string
  if (d.statementNumber === undefined) {
    where = `${d.direction === 'up' ? 'recording' : 'unrecording'} it in ${d.versionTable} failed`
  } else {
    where = `statement ${d.statementNumber} (line ${d.statementLine}) failed`
    // "failed at line 3" only adds something when the error is not on the statement's first line.
    if (d.errorLine !== undefined && d.errorLine !== d.statementLine) {
      where += ` at line ${d.errorLine}`
    }
  }
  const lines = [
    `failed to ${verb} migration ${d.name} (version ${d.migration.version}): ${where}: ${pgText}`,
  ]
  if (pg.detail) lines.push(indentField('detail', pg.detail))
  if (pg.hint) lines.push(indentField('hint', pg.hint))
  if (pg.where) lines.push(indentField('where', pg.where))
  // Not "at file:line": test runners (Jest) read lines starting with "at" as stack frames.
  lines.push(
    `  file: ${displayPath(d.file)}:${d.errorLine ?? d.statementLine ?? d.migration.up.line}`,
  )
  const done = d.applied.map((m) => m.version)
  const before = d.runTransaction
    ? 'applied before it in this run, and undone with it'
    : `${d.direction === 'up' ? 'applied' : 'rolled back'} before it in this run`
  lines.push(`  ${before}: ${summarise(done)}`)
  lines.push(`  ${keptSentence(d)}`)
  if (d.statement !== undefined && d.statementLine !== undefined) {
    lines.push(`  statement ${d.statementNumber}:`, ...showStatement(d.statement, d))
  }
  return lines.join('\n')
}

function indentField(label: string, text: string): string {
  return `    ${label}: ${text.split('\n').join('\n      ')}`
}

function summarise(versions: readonly string[]): string {
  if (versions.length === 0) return 'none'
  if (versions.length <= 6) return versions.join(', ')
  return `${versions.length} migrations (${versions.slice(0, 2).join(', ')}, …, ${versions.slice(-2).join(', ')})`
}

function keptSentence(d: MigrationApplyErrorDetails): string {
  const version = `version ${d.migration.version}`
  const recorded =
    d.direction === 'up'
      ? `${version} was not recorded in ${d.versionTable}`
      : `${version} is still recorded in ${d.versionTable}`
  if (d.runTransaction) {
    const tool = d.format === 'drizzle' ? "drizzle's migrator" : "node-pg-migrate's CLI"
    return `nothing of this run was kept: as ${tool} does, every pending migration ran in one transaction, which was rolled back, and ${recorded}`
  }
  if (d.format === 'golang-migrate') {
    return `nothing of this file was kept unless it commits on its own (golang-migrate sends the whole file as one query, which PostgreSQL runs as one implicit transaction); as golang-migrate does, ${d.versionTable} now marks the version dirty`
  }
  if (d.format === 'prisma' && d.direction === 'up') {
    return `nothing of this file was kept unless it commits on its own (Prisma sends the whole migration.sql as one query, which PostgreSQL runs as one implicit transaction); as Prisma does, ${d.versionTable} keeps its row with finished_at NULL and the error in logs, so later runs stop until \`prisma migrate resolve\``
  }
  if (d.transactional)
    return `nothing of this migration was kept: its transaction was rolled back and ${recorded}`
  if (d.statementsKept === 0)
    return `no statement of this migration had run (it has no transaction); ${recorded}`
  const ran =
    d.statementsKept === 1
      ? 'statement 1 of this migration ran without a transaction and stays applied'
      : `statements 1–${d.statementsKept} of this migration ran without a transaction and stay applied`
  return `${ran}; ${recorded}`
}

/** Where in its file a failed statement starts, and where PostgreSQL's error points. */
export interface StatementPlace {
  statementLine?: number
  errorLine?: number
  errorColumn?: number
}

/**
 * A failed statement as indented lines with file line numbers, `>` and a caret at the error;
 * long statements show a window around the error.
 */
export function showStatement(sql: string, d: StatementPlace): string[] {
  const first = d.statementLine ?? 1
  const text = sql.replace(/^\s*\n/, '').replace(/\s+$/, '')
  const all = text.split('\n')
  const focus = d.errorLine === undefined ? first : d.errorLine
  let start = 0
  if (all.length > MAX_SHOWN_LINES)
    start = Math.min(Math.max(0, focus - first - 4), all.length - MAX_SHOWN_LINES)
  const shown = all.slice(start, start + MAX_SHOWN_LINES)
  const width = String(first + start + shown.length - 1).length
  const out: string[] = []
  if (start > 0) out.push(`    ${' '.repeat(width)} | … (${plural(start, 'line')} above)`)
  shown.forEach((raw, i) => {
    const lineNo = first + start + i
    const clipped = raw.length > MAX_LINE_LENGTH ? `${raw.slice(0, MAX_LINE_LENGTH)}…` : raw
    const mark = lineNo === d.errorLine ? '>' : ' '
    out.push(`  ${mark} ${String(lineNo).padStart(width)} | ${clipped.replace(/\r$/, '')}`)
    if (lineNo === d.errorLine && d.errorColumn !== undefined && d.errorColumn <= MAX_LINE_LENGTH) {
      out.push(`    ${' '.repeat(width)} | ${' '.repeat(d.errorColumn - 1)}^`)
    }
  })
  const below = all.length - start - shown.length
  if (below > 0) out.push(`    ${' '.repeat(width)} | … (${plural(below, 'more line')})`)
  return out
}

function fixFor(d: MigrationApplyErrorDetails): string {
  const at = `${d.name}${d.statementLine === undefined ? '' : ` (statement ${d.statementNumber}, line ${d.statementLine})`}`
  if (d.postgres.code === '25001') {
    // Outside BEGIN the command still fails when it shares its query string with other commands:
    // PostgreSQL runs a multi-command string as one implicit transaction.
    switch (d.format) {
      case 'goose':
        return d.transactional
          ? `add \`-- +goose NO TRANSACTION\` to ${d.name} and keep this statement on its own (a statement that ends its line with ; is sent alone)`
          : `put this command on its own line ending with ; in ${d.name}: goose sends commands that share a line (or a StatementBegin block) as one query`
      case 'dbmate':
        return d.transactional
          ? `add transaction:false to the \`-- migrate:up\` line of ${d.name} and keep this statement alone in its block`
          : `move this command into a migration of its own: dbmate sends a whole block as one query`
      case 'golang-migrate':
        return `move this statement into a migration file of its own: golang-migrate sends a whole file as one query, an implicit transaction`
      case 'drizzle':
        return `drizzle runs every migration in a transaction, where this statement cannot run; run it outside the drizzle migrations`
      case 'prisma':
        return `move this statement into a migration of its own (prisma migrate dev --create-only): Prisma sends a whole migration.sql as one query, an implicit transaction`
      case 'node-pg-migrate':
        return `node-pg-migrate runs every SQL migration in a transaction, where this statement cannot run; write the migration in JavaScript with pgm.noTransaction() and apply it with node-pg-migrate (the migrate: { command } recipe)`
    }
  }
  const extension = missingExtension(d.postgres)
  if (extension !== undefined) {
    return `the server has no "${extension}" extension (the migration is fine): the embedded server ships PostgreSQL's own contrib extensions only; use server: 'docker' with an image that has "${extension}" (docker: { image: '<an image with ${extension}, e.g. pgvector/pgvector:pg18 for vector>' }) or server: 'url' pointing at a server where it is installed`
  }
  if (d.postgres.code === '55P04') {
    return `move the ALTER TYPE … ADD VALUE into a migration before ${d.name}: a new enum value can only be used once it is committed`
  }
  if (d.statementNumber === undefined) {
    return `check that ${d.name} does not change ${d.versionTable} itself, then run again`
  }
  if (!d.transactional && d.statementsKept > 0) {
    return `fix ${at}; the statements before it stay applied, so make the migration safe to re-run (IF NOT EXISTS) or undo them before running again`
  }
  if (d.format === 'prisma' && d.direction === 'up') {
    // A template build drops its database; a database migrated with `pgtestbed up` keeps the row.
    return `fix ${at}; on a database migrated with \`pgtestbed up\`, first set the failed run aside with \`npx prisma migrate resolve --rolled-back ${d.migration.version}\`, then run again`
  }
  return `fix ${at} and run again`
}

/**
 * The extension a `CREATE EXTENSION` could not find on the server: PostgreSQL 15+ says
 * `extension "x" is not available` (0A000), older ones `could not open extension control file
 * ".../x.control"` (58P01).
 */
function missingExtension(pg: PostgresErrorFields): string | undefined {
  if (pg.code === '0A000') return /^extension "(.+)" is not available$/.exec(pg.message)?.[1]
  if (pg.code === '58P01') {
    return /could not open extension control file ".*\/([^/]+)\.control"/.exec(pg.message)?.[1]
  }
  return undefined
}
