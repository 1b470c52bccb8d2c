import path from 'node:path'
import { DiagnosticsError, isPgtestbedError } from './errors.js'

/** How bad a diagnostic is: errors stop the run, warnings are reported. */
export type Severity = 'error' | 'warning'

/**
 * The code of a diagnostic. Stable: tools and config (`lint.rules`) refer to these.
 * Grouped by the step that reports them; the README lists each with its fix.
 */
export type DiagnosticCode =
  // discovery
  | 'DIR_NOT_FOUND'
  | 'NO_MIGRATIONS'
  | 'FORMAT_UNKNOWN'
  | 'FORMAT_AMBIGUOUS'
  | 'BAD_FILENAME'
  | 'STRAY_FILE'
  | 'DUPLICATE_VERSION'
  | 'VERSION_OUT_OF_RANGE'
  | 'UNREADABLE_FILE'
  | 'UNSUPPORTED_MIGRATION'
  // a migrate command's or function's inputs
  | 'MIGRATE_INPUT_NOT_FOUND'
  // parsing (goose, dbmate)
  | 'MISSING_UP'
  | 'SQL_BEFORE_UP'
  | 'DUPLICATE_UP'
  | 'DOWN_BEFORE_UP'
  | 'DUPLICATE_DOWN'
  | 'BAD_ANNOTATION'
  | 'ANNOTATION_IN_COMMENT'
  | 'UNTERMINATED_STATEMENT'
  | 'UNTERMINATED_BLOCK'
  | 'MISPLACED_BLOCK'
  | 'EMPTY_BLOCK'
  | 'DOLLAR_QUOTE_SPLIT'
  | 'BOM'
  | 'ENVSUB_FAILED'
  | 'LINE_TOO_LONG'
  | 'MULTIPLE_SECTIONS'
  // Prisma: migration_lock.toml names another database
  | 'PROVIDER_MISMATCH'
  // golang-migrate
  | 'UP_FILE_MISSING'
  | 'EMPTY_MIGRATION'
  // drizzle
  | 'JOURNAL_NOT_FOUND'
  | 'JOURNAL_INVALID'
  | 'JOURNAL_FILE_MISSING'
  | 'JOURNAL_UNLISTED_FILE'
  | 'JOURNAL_WHEN_NOT_INCREASING'
  | 'JOURNAL_DUPLICATE_TAG'
  | 'JOURNAL_MIXED_LAYOUT'
  // validation (all formats)
  | 'MIXED_VERSIONING'
  | 'VERSION_GAP'
  | 'MISSING_DOWN'
  // no longer reported: an empty Down section is lint's LINT_EMPTY_DOWN (suppressible)
  | 'EMPTY_DOWN'
  | 'NON_TRANSACTIONAL_IN_TRANSACTION'
  | 'ENUM_VALUE_IN_TRANSACTION'
  // manifest
  | 'MANIFEST_NOT_FOUND'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_TAMPERED'
  | 'MANIFEST_UNLISTED'
  | 'MANIFEST_MISSING_FILE'
  | 'MANIFEST_EDITED'
  | 'MANIFEST_REORDERED'
  // lint (see src/lint): codes start with LINT_
  | `LINT_${string}`

/** A place in a file, used for a diagnostic's related locations. */
export interface SourceLocation {
  /** Absolute path of the file. */
  file: string
  /** 1-based line, when known. */
  line?: number
}

/**
 * One finding about the migrations: what is wrong, where, and how to fix it.
 *
 * `file` is absolute; formatters print it relative to the current directory.
 */
export interface Diagnostic {
  severity: Severity
  code: DiagnosticCode
  /** What is wrong, in one sentence. Names versions and file names (relative to the migrations folder) where useful. */
  message: string
  /** Absolute path of the file the problem is in; absent for folder-level problems. */
  file?: string
  /** 1-based line in `file`. */
  line?: number
  /** The exact command or edit that fixes it. */
  fix?: string
  /** Other places involved (the other file of a duplicate version, the journal entry...). */
  related?: SourceLocation[]
}

/** True when at least one diagnostic has severity `error`. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error')
}

/**
 * Sorts diagnostics for display: errors first, then by file and line.
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const rank = (d: Diagnostic) => (d.severity === 'error' ? 0 : 1)
  return [...diagnostics].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.code.localeCompare(b.code),
  )
}

/** Options for {@link formatDiagnostic} and {@link formatDiagnostics}. */
export interface FormatDiagnosticOptions {
  /** Paths are printed relative to this folder. Default: `process.cwd()`. */
  cwd?: string
}

/** Prints a file path relative to `cwd` with forward slashes, or as given when it is outside. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, file)
  const shown = relative === '' ? '.' : relative.startsWith('..') ? file : relative
  return shown.split(path.sep).join('/')
}

/**
 * Formats one diagnostic as `file:line  severity CODE message` plus an indented `fix:` line.
 *
 * @example
 * formatDiagnostic(d) // "migrations/021_b.sql:1  error DUPLICATE_VERSION version 21 is used twice ...\n    fix: ..."
 */
export function formatDiagnostic(d: Diagnostic, options: FormatDiagnosticOptions = {}): string {
  const cwd = options.cwd ?? process.cwd()
  const where = d.file ? `${displayPath(d.file, cwd)}${d.line ? `:${d.line}` : ''}  ` : ''
  let text = `${where}${d.severity} ${d.code} ${d.message}`
  for (const r of d.related ?? []) {
    text += `\n    see: ${displayPath(r.file, cwd)}${r.line ? `:${r.line}` : ''}`
  }
  if (d.fix) text += `\n    fix: ${d.fix}`
  return text
}

/** Formats a list of diagnostics (errors first), one block per diagnostic. */
export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  options: FormatDiagnosticOptions = {},
): string {
  return sortDiagnostics(diagnostics)
    .map((d) => formatDiagnostic(d, options))
    .join('\n')
}

/**
 * Throws a {@link DiagnosticsError} when `diagnostics` holds an error; returns otherwise.
 * The message starts with `summary` and lists the errors; warnings are only counted (`pgtestbed
 * check` shows them), so an unrelated warning never buries the error that stops the run. The
 * error still carries every diagnostic.
 *
 * @throws DiagnosticsError with the given code.
 */
export function throwIfErrors(
  diagnostics: readonly Diagnostic[],
  code: 'VALIDATION_FAILED' | 'MANIFEST_MISMATCH' | 'LINT_FAILED',
  summary: string,
  options: FormatDiagnosticOptions = {},
): void {
  if (!hasErrors(diagnostics)) return
  const errors = diagnostics.filter((d) => d.severity === 'error')
  const warnings = diagnostics.length - errors.length
  const more =
    warnings === 0
      ? ''
      : warnings === 1
        ? '\n(and 1 warning: `pgtestbed check` shows it)'
        : `\n(and ${warnings} warnings: \`pgtestbed check\` shows them)`
  const message = `${summary}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n${formatDiagnostics(errors, options)}${more}`
  throw new DiagnosticsError(code, message, sortDiagnostics(diagnostics))
}

/** How deep the `cause:` lines of {@link formatError} follow an error's causes. */
const MAX_CAUSES = 3

/** Colour functions for {@link formatError}; plain text without them. */
export interface FormatErrorColors {
  dim(text: string): string
  cyan(text: string): string
}

function causeText(cause: unknown): string {
  if (isPgtestbedError(cause)) return `${cause.code} ${cause.message}`
  if (cause instanceof Error) return (cause.message || cause.name).trim()
  return String(cause)
}

/**
 * The one text of an error for people, shared by the CLI and every runner adapter: the message
 * (a diagnostics error's message already lists every problem with its file, line and fix), the
 * fix, and the causes that add something. No stack frames: they point into pgtestbed, not at the
 * user's problem. The caller puts the code where its runner shows it (`pgtestbed: CODE`,
 * `PgtestbedError [CODE]`). Errors that are not pgtestbed's (bugs) keep their stack.
 *
 * @example
 * formatError(new PgtestbedError('SERVER_UNREACHABLE', 'no server at db:5432', { fix: 'start it' }))
 * // 'no server at db:5432\n    fix: start it'
 */
export function formatError(error: unknown, colors?: FormatErrorColors): string {
  if (!isPgtestbedError(error)) {
    return error instanceof Error ? (error.stack ?? error.message) : String(error)
  }
  const lines = [error.message]
  if (error.fix) lines.push(`    ${colors ? colors.cyan('fix:') : 'fix:'} ${error.fix}`)
  let cause = error.cause
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    // A cause that only repeats the message (a wrapped driver error) adds nothing.
    const text = causeText(cause)
    const first = text.split('\n')[0] ?? text
    if (!error.message.includes(first)) {
      const body = text.split('\n').slice(0, 6).join('\n      ')
      lines.push(`    ${colors ? colors.dim('cause:') : 'cause:'} ${body}`)
    }
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return lines.join('\n')
}
