import type { Diagnostic, DiagnosticCode } from '../../../diagnostics.js'
import type { AnnotationProblem } from './goose-annotations.js'
import { goQuote } from './go-text.js'
import type { OpenConstruct } from './lexer.js'

/**
 * Builders for every diagnostic the goose parser reports. Each message says what is wrong in
 * pgtestbed's words and then quotes the phrase goose itself prints, so searching for goose's error
 * finds the explanation; each `fix` is the edit that makes the file valid for goose and pgtestbed.
 */

/** A goose section, as messages name it. */
export type SectionName = 'Up' | 'Down'

function error(
  code: DiagnosticCode,
  file: string,
  line: number,
  message: string,
  fix: string,
): Diagnostic {
  return { severity: 'error', code, message, file, line, fix }
}

/** The first line of `sql`, shortened to `max` characters, for quoting in a message. */
function preview(sql: string, max = 60): string {
  const first = sql.split('\n', 1)[0] ?? ''
  const short = first.length > max ? `${first.slice(0, max)}…` : first
  return sql.includes('\n') && short === first ? `${short} …` : short
}

export function bomDiagnostic(file: string, firstLine: string): Diagnostic {
  return error(
    'BOM',
    file,
    1,
    'the file starts with a UTF-8 byte order mark (BOM), which goose does not skip: it fails with ' +
      `"failed to parse migration: unexpected state 0 on line ${goQuote(preview(firstLine))}"`,
    'Save the file as UTF-8 without a BOM (in VS Code: "Save with Encoding" → "UTF-8").',
  )
}

export function lineTooLongDiagnostic(file: string, line: number, bytes: number): Diagnostic {
  return error(
    'LINE_TOO_LONG',
    file,
    line,
    `line ${line} is ${bytes} bytes long; goose reads lines of at most 4 MiB and fails with ` +
      '"failed to scan migration: bufio.Scanner: token too long"',
    `Break line ${line} into several lines (goose joins a statement's lines with newlines).`,
  )
}

export function missingUpDiagnostic(
  file: string,
  firstSql: { line: number; text: string } | null,
): Diagnostic {
  const what =
    firstSql === null
      ? 'the file has no "-- +goose Up" annotation (and no SQL); goose fails with ' +
        `"failed to parse migration: must start with '-- +goose Up' annotation"`
      : `the file has no "-- +goose Up" annotation, so the SQL from line ${firstSql.line} on is ` +
        'never applied; goose fails with "failed to parse migration: unexpected state 0 on line ' +
        `${goQuote(preview(firstSql.text))}"`
  return error(
    'MISSING_UP',
    file,
    1,
    what,
    'Add the line "-- +goose Up" above the migration\'s SQL (and "-- +goose Down" above the SQL that undoes it).',
  )
}

export function sqlBeforeUpDiagnostic(
  file: string,
  line: number,
  text: string,
  upLine: number,
): Diagnostic {
  return error(
    'SQL_BEFORE_UP',
    file,
    line,
    `line ${line} holds SQL before the "-- +goose Up" annotation at line ${upLine}; goose fails with ` +
      `"failed to parse migration: unexpected state 0 on line ${goQuote(preview(text))}"`,
    `Move "-- +goose Up" above line ${line}, or turn line ${line} into a "--" comment.`,
  )
}

export function duplicateUpDiagnostic(file: string, line: number, firstUp: number): Diagnostic {
  return {
    ...error(
      'DUPLICATE_UP',
      file,
      line,
      `a second "-- +goose Up" annotation (the first is at line ${firstUp}); goose fails with ` +
        `"duplicate '-- +goose Up' annotations"`,
      `Keep one "-- +goose Up": remove line ${line}, or move its SQL into its own migration file.`,
    ),
    related: [{ file, line: firstUp }],
  }
}

export function downBeforeUpDiagnostic(file: string, line: number): Diagnostic {
  return error(
    'DOWN_BEFORE_UP',
    file,
    line,
    `"-- +goose Down" at line ${line} comes before any "-- +goose Up" annotation; goose fails with ` +
      `"must start with '-- +goose Up' annotation"`,
    `Put the Up section first: add "-- +goose Up" and the migration's SQL above line ${line}.`,
  )
}

export function duplicateDownDiagnostic(file: string, line: number, firstDown: number): Diagnostic {
  return {
    ...error(
      'DUPLICATE_DOWN',
      file,
      line,
      `a second "-- +goose Down" annotation (the first is at line ${firstDown}); goose fails with ` +
        `"must start with '-- +goose Up' annotation"`,
      `Keep one "-- +goose Down": remove line ${line} and keep all Down SQL after line ${firstDown}.`,
    ),
    related: [{ file, line: firstDown }],
  }
}

const ANNOTATION_FIX: Record<AnnotationProblem, string> = {
  'leading-whitespace':
    'Remove the indentation: a goose annotation must start at the first column.',
  multiple: 'Put each "-- +goose" annotation on a line of its own.',
  empty: 'Complete the annotation (for example "-- +goose Up") or delete the line.',
  unsupported:
    'Write one of "-- +goose Up", "Down", "StatementBegin", "StatementEnd", "NO TRANSACTION", ' +
    '"ENVSUB ON" or "ENVSUB OFF", with single spaces and nothing after it on the line.',
}

export function badAnnotationDiagnostic(
  file: string,
  line: number,
  problem: AnnotationProblem,
  gooseError: string,
  intended: string | undefined,
): Diagnostic {
  const fix =
    problem === 'unsupported' && intended
      ? `Write it exactly as "-- +goose ${intended}" (single spaces, nothing after it on the line).`
      : ANNOTATION_FIX[problem]
  return error(
    'BAD_ANNOTATION',
    file,
    line,
    `invalid goose annotation at line ${line}; goose fails with "${gooseError}"`,
    fix,
  )
}

export function annotationInCommentDiagnostic(
  file: string,
  line: number,
  gooseError: string,
): Diagnostic {
  return error(
    'ANNOTATION_IN_COMMENT',
    file,
    line,
    `the comment at line ${line} mentions "+goose", so goose reads it as an annotation and fails ` +
      `with "${gooseError}"`,
    'Reword the comment without "+goose" (write "goose"): goose treats every "--" line that ' +
      'contains "+goose" as an annotation, even inside a function body.',
  )
}

export function misplacedBlockDiagnostic(
  file: string,
  line: number,
  which: 'begin-before-up' | 'begin-nested' | 'end-without-begin',
  openBlock: number | undefined,
): Diagnostic {
  if (which === 'end-without-begin') {
    return error(
      'MISPLACED_BLOCK',
      file,
      line,
      `"-- +goose StatementEnd" at line ${line} has no open "-- +goose StatementBegin"; goose fails ` +
        `with "'-- +goose StatementEnd' must be defined after '-- +goose StatementBegin'"`,
      `Add "-- +goose StatementBegin" above the statement that ends at line ${line}, or delete line ${line}.`,
    )
  }
  const where =
    which === 'begin-before-up'
      ? 'comes before "-- +goose Up"'
      : `is inside the block opened at line ${openBlock ?? '?'} (blocks do not nest)`
  const fix =
    which === 'begin-before-up'
      ? `Move "-- +goose Up" above line ${line}.`
      : `Add "-- +goose StatementEnd" before line ${line} to close the block opened at line ${openBlock ?? '?'}.`
  return error(
    'MISPLACED_BLOCK',
    file,
    line,
    `"-- +goose StatementBegin" at line ${line} ${where}; goose fails with ` +
      `"'-- +goose StatementBegin' must be defined after '-- +goose Up' or '-- +goose Down' annotation"`,
    fix,
  )
}

export function unterminatedBlockDiagnostic(
  file: string,
  blockLine: number,
  section: SectionName,
  downLine: number | undefined,
): Diagnostic {
  if (downLine !== undefined) {
    return error(
      'UNTERMINATED_BLOCK',
      file,
      blockLine,
      `the "-- +goose StatementBegin" block opened at line ${blockLine} is still open at ` +
        `"-- +goose Down" (line ${downLine}); goose fails with ` +
        `"must start with '-- +goose Up' annotation, stateMachine=2"`,
      `Add "-- +goose StatementEnd" on its own line after the block's last line, before line ${downLine}.`,
    )
  }
  return error(
    'UNTERMINATED_BLOCK',
    file,
    blockLine,
    `the "-- +goose StatementBegin" block opened at line ${blockLine} in the ${section} section is ` +
      `never closed; goose fails in both directions with ` +
      `"failed to parse migration: missing '-- +goose StatementEnd' annotation"`,
    'Add "-- +goose StatementEnd" on its own line after the block\'s last line.',
  )
}

export function unterminatedStatementDiagnostic(
  file: string,
  section: SectionName,
  text: string,
  lines: { first: number; last: number; whitespaceOnly: number | undefined },
  at: { kind: 'down'; line: number } | { kind: 'eof' },
  previous: string | undefined,
): Diagnostic {
  const state = section === 'Up' ? 1 : 4
  const where =
    at.kind === 'down' ? `before "-- +goose Down" (line ${at.line})` : 'at the end of the file'
  const goose =
    `"failed to parse migration: state ${state}, direction: ${section.toLowerCase()}: ` +
    `unexpected unfinished SQL query: ${goQuote(preview(text))}: missing semicolon?"`
  return error(
    'UNTERMINATED_STATEMENT',
    file,
    lines.first,
    `the ${section} section has an unfinished statement ${where}, starting at line ${lines.first}: ` +
      `${goQuote(preview(text))}; goose fails with ${goose}`,
    unterminatedFix(text, lines.last, lines.whitespaceOnly, previous),
  )
}

function unterminatedFix(
  text: string,
  lastLine: number,
  whitespaceLine: number | undefined,
  previous: string | undefined,
): string {
  const lines = text.split('\n')
  const last = lines[lines.length - 1] ?? ''
  if (lines.every((l) => l.trimStart().startsWith('--') || l.trim() === '')) {
    const cause =
      whitespaceLine === undefined
        ? ''
        : ` because line ${whitespaceLine} holds only spaces or tabs`
    return (
      `Only comments are left over: goose keeps them as SQL${cause}. Make line ` +
      `${whitespaceLine ?? lastLine} truly empty or delete the comment.`
    )
  }
  if (/;--/.test(last)) {
    return `Put a space between ";" and "--" on line ${lastLine}: goose only sees a ";" that ends a word.`
  }
  if (/;\s*\/\*.*\*\/\s*$/.test(last)) {
    return `Move the /* … */ comment on line ${lastLine} to its own line: goose only sees a ";" at the end of a line.`
  }
  if (/\bCOPY\b[\s\S]*\bFROM\s+stdin/i.test(`${previous ?? ''}\n${text}`)) {
    return 'Wrap the COPY … FROM stdin statement and its data rows in "-- +goose StatementBegin" / "-- +goose StatementEnd".'
  }
  return `End the statement with ";" at the end of line ${lastLine}, or wrap it in "-- +goose StatementBegin" / "-- +goose StatementEnd".`
}

/**
 * An empty StatementBegin/End block. Goose sends an empty statement for it, which does nothing,
 * so on its own it is a warning; {@link noteSwallowedLine} makes it an error once a SQL line
 * follows that goose would drop.
 */
export function emptyBlockDiagnostic(file: string, blockLine: number, endLine: number): Diagnostic {
  return {
    severity: 'warning',
    code: 'EMPTY_BLOCK',
    message: `the "-- +goose StatementBegin" block at lines ${blockLine}-${endLine} holds no SQL; goose sends an empty statement for it, which does nothing here`,
    file,
    line: blockLine,
    fix: `Delete the empty block (lines ${blockLine}-${endLine}) or put the statement it was meant for inside it.`,
  }
}

/**
 * After an empty block with no SQL between its markers, goose drops the next SQL line: the
 * block's warning becomes an error naming that line.
 */
export function noteSwallowedLine(d: Diagnostic, line: number, text: string): void {
  d.severity = 'error'
  d.message = d.message.replace(
    'which does nothing here',
    `and then silently drops the next SQL line (here line ${line}, ${goQuote(preview(text))}, would never run)`,
  )
}

const CONSTRUCT_NAME: Record<OpenConstruct, string> = {
  'dollar-quote': 'dollar-quoted body',
  string: 'string literal',
  'escape-string': "E'…' string literal",
  'quoted-identifier': 'double-quoted identifier',
  'block-comment': '/* … */ comment',
}

export function quoteSplitDiagnostic(
  file: string,
  splitLine: number,
  statementLine: number,
  construct: OpenConstruct,
  openLine: number,
  delimiter: string,
): Diagnostic {
  const name =
    construct === 'dollar-quote'
      ? `${CONSTRUCT_NAME[construct]} (${delimiter})`
      : CONSTRUCT_NAME[construct]
  return error(
    'DOLLAR_QUOTE_SPLIT',
    file,
    splitLine,
    `line ${splitLine} ends with ";" inside the ${name} opened at line ${openLine}; goose splits the ` +
      `statement that starts at line ${statementLine} there and sends the pieces separately, which ` +
      'fails on the server (goose itself reports no error)',
    `Put "-- +goose StatementBegin" above line ${statementLine} and "-- +goose StatementEnd" below the statement's last line.`,
  )
}

/** Completes a split diagnostic once the statement's end is known (or known to be missing). */
export function finishSplitDiagnostic(
  d: Diagnostic,
  statementLine: number,
  endLine: number | null,
): void {
  if (endLine === null) {
    d.message += '; the construct is never closed before the section ends'
    d.fix = `Close the quote or comment, then wrap the statement from line ${statementLine} in "-- +goose StatementBegin" / "-- +goose StatementEnd".`
    return
  }
  d.fix = `Put "-- +goose StatementBegin" above line ${statementLine} and "-- +goose StatementEnd" below line ${endLine}.`
}

export function envsubDiagnostic(file: string, line: number, reason: string): Diagnostic {
  const required = /^\$([\p{L}\p{N}_]+): /u.exec(reason)
  let fix =
    'Fix the ${…} expression, or put "-- +goose ENVSUB OFF" before this line and "-- +goose ENVSUB ON" after it.'
  if (required) {
    fix = `Set the environment variable ${required[1]} for the run, or give it a default with \${${required[1]}:-value}.`
  } else if (reason.startsWith('Expected identifier to start with a letter')) {
    fix =
      'With ENVSUB on, every "$" must start a variable: write "$$" for a literal "$", or put ' +
      '"-- +goose ENVSUB OFF" before this line and "-- +goose ENVSUB ON" after it.'
  }
  return error(
    'ENVSUB_FAILED',
    file,
    line,
    `ENVSUB is on and line ${line} cannot be expanded; goose fails with ` +
      `"variable substitution failed: ${reason}"`,
    fix,
  )
}
