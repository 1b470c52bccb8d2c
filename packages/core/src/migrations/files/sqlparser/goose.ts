import type { Diagnostic } from '../../../diagnostics.js'
import type { Statement } from '../../types.js'
import { envsubLine, type EnvsubEnv } from './envsub.js'
import { extractAnnotation, isAnnotationLine, type GooseAnnotation } from './goose-annotations.js'
import * as msg from './goose-messages.js'
import { endsWithSemicolon, goTrimSpace, isGoBlank, startsWithDashesAfterSpace } from './go-text.js'
import { SqlLexer } from './lexer.js'

/**
 * A statement from a goose file. `sql` is exactly what goose sends. Lines of `sql` map 1:1 onto
 * file lines from `line` on, except for annotation lines goose drops from inside a statement
 * (`-- +goose ENVSUB ON` in a block, or the `StatementBegin` after a glued prefix): those file
 * lines are listed in `omittedLines`, which is absent when there are none.
 * Use {@link statementFileLine} to map a line of `sql` back to the file.
 */
export interface GooseStatement extends Statement {
  /** File lines inside `line..endLine` that are not part of `sql` (dropped annotation lines). */
  omittedLines?: number[]
}

/** The Up or Down part of a goose file. */
export interface GooseSection {
  /** 1-based line of the `-- +goose Up` / `-- +goose Down` annotation. */
  line: number
  /** The statements in order, exactly as goose splits them. */
  statements: GooseStatement[]
}

/** What {@link parseGooseSql} found in one file. */
export interface GooseParseResult {
  /** The Up section; `null` only when the file has no Up annotation (an error diagnostic says so). */
  up: GooseSection | null
  /** The Down section; `null` when there is no `-- +goose Down`. */
  down: GooseSection | null
  /** `false` when `-- +goose NO TRANSACTION` appears anywhere (it applies to both directions). */
  useTx: boolean
  /** Every problem found (in the order found; see `sortDiagnostics`), each with `file` and a 1-based `line`. */
  diagnostics: Diagnostic[]
}

/** Options for {@link parseGooseSql}. */
export interface GooseParseOptions {
  /** Absolute path of the file; copied into every diagnostic. Required. */
  file: string
  /**
   * Environment for `-- +goose ENVSUB ON` lines; a missing or `undefined` entry is an unset
   * variable. Default: `process.env` (what goose reads).
   */
  env?: EnvsubEnv
}

/** goose reads lines with a 4 MiB buffer: a line (with its `\r`) must be shorter than this. */
export const GOOSE_MAX_LINE_BYTES = 4 * 1024 * 1024

/**
 * Splits a goose SQL migration into its Up and Down statements in one pass, exactly as goose
 * v3 does for each direction, and reports every problem as a diagnostic instead of stopping at the
 * first. Pure: reads nothing but `text` and `options.env`.
 *
 * Where goose silently loses or mangles SQL (an empty StatementBegin/End block, a `;` at a line end
 * inside a dollar-quoted body or string outside a block), an error diagnostic reports it and the
 * statements are returned as the author meant them rather than as goose would mangle them.
 * When `diagnostics` holds an error, do not apply the statements.
 *
 * @example
 * const result = parseGooseSql('-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n', {
 *   file: '/app/migrations/00001_t.sql',
 * })
 * result.up?.statements // [{ sql: 'CREATE TABLE t (id int);', line: 2, endLine: 2 }]
 * result.down?.statements[0]?.sql // 'DROP TABLE t;'
 */
export function parseGooseSql(text: string, options: GooseParseOptions): GooseParseResult {
  return new GooseParser(options.file, options.env ?? process.env).parse(text)
}

/**
 * Maps a 0-based line index within `statement.sql` to its 1-based file line, skipping the
 * annotation lines goose dropped from inside the statement.
 *
 * @example
 * statementFileLine({ sql: 'SELECT\n1;', line: 7, endLine: 8 }, 1) // 8
 */
export function statementFileLine(statement: GooseStatement, index: number): number {
  let line = statement.line + index
  for (const omitted of statement.omittedLines ?? []) {
    if (omitted <= line) line++
  }
  return line
}

type Section = 'start' | 'up' | 'down'

class GooseParser {
  private readonly diagnostics: Diagnostic[] = []
  private section: Section = 'start'
  private upLine = 0
  private downLine = 0
  private readonly up: GooseStatement[] = []
  private readonly down: GooseStatement[] = []
  private useTx = true
  private envsub = false
  private inBlock = false
  private blockLine = 0
  /** The statement being collected: its lines (after ENVSUB) and their file lines. */
  private readonly parts: string[] = []
  private readonly partLines: number[] = []
  private readonly omitted: number[] = []
  /** Reads the statement's lines to see whether a `;` at a line end falls inside a construct. */
  private readonly lexer = new SqlLexer()
  /** The line where the construct open at the end of the last line started. */
  private openLine = 0
  /** The DOLLAR_QUOTE_SPLIT reported for the statement being collected, if any. */
  private split: Diagnostic | null = null
  /** The first SQL line seen before `-- +goose Up`. */
  private sqlBeforeUp: { line: number; text: string } | null = null
  private downBeforeUp = false
  /** An EMPTY_BLOCK whose "swallowed next line" is not known yet. */
  private emptyBlock: Diagnostic | null = null

  constructor(
    private readonly file: string,
    private readonly env: EnvsubEnv,
  ) {}

  parse(text: string): GooseParseResult {
    let from = 0
    if (text.charCodeAt(0) === 0xfeff) {
      const end = text.indexOf('\n')
      this.diagnostics.push(msg.bomDiagnostic(this.file, text.slice(0, end < 0 ? undefined : end)))
      from = 1
    }
    let lineNo = 0
    while (from < text.length) {
      let end = text.indexOf('\n', from)
      if (end < 0) end = text.length
      lineNo++
      this.checkLength(text, from, end, lineNo)
      // bufio.ScanLines drops one `\r` before the line break (and at the end of the file).
      const stop = text.charCodeAt(end - 1) === 0x0d && end > from ? end - 1 : end
      this.line(text.slice(from, stop), lineNo)
      from = end + 1
    }
    this.endOfFile()
    return {
      up: this.section === 'start' ? null : { line: this.upLine, statements: this.up },
      down: this.downLine === 0 ? null : { line: this.downLine, statements: this.down },
      useTx: this.useTx,
      diagnostics: this.diagnostics,
    }
  }

  private checkLength(text: string, from: number, end: number, lineNo: number): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so short lines need no byte count.
    if ((end - from) * 3 < GOOSE_MAX_LINE_BYTES) return
    const bytes = Buffer.byteLength(text.slice(from, end))
    if (bytes >= GOOSE_MAX_LINE_BYTES) {
      this.diagnostics.push(msg.lineTooLongDiagnostic(this.file, lineNo, bytes))
    }
  }

  private line(line: string, lineNo: number): void {
    if (this.section === 'start' && isGoBlank(line)) return
    if (isAnnotationLine(line)) {
      const result = extractAnnotation(line)
      if (result.ok) return this.annotation(result.annotation, lineNo)
      if (result.mention) {
        // An ordinary comment that mentions +goose: report it, then treat it as the comment it is.
        this.report(msg.annotationInCommentDiagnostic(this.file, lineNo, result.gooseError))
      } else {
        this.report(
          msg.badAnnotationDiagnostic(
            this.file,
            lineNo,
            result.problem,
            result.gooseError,
            result.intended,
          ),
        )
        // Act on what the author evidently meant, so one typo does not cascade into more errors.
        if (result.intended) return this.annotation(result.intended, lineNo)
        return this.noteOmitted(lineNo)
      }
    }
    this.content(line, lineNo)
  }

  private annotation(annotation: GooseAnnotation, lineNo: number): void {
    switch (annotation) {
      case 'Up':
        return this.upAnnotation(lineNo)
      case 'Down':
        return this.downAnnotation(lineNo)
      case 'StatementBegin':
        return this.beginBlock(lineNo)
      case 'StatementEnd':
        return this.endBlock(lineNo)
      case 'NO TRANSACTION':
        this.useTx = false
        return this.noteOmitted(lineNo)
      case 'ENVSUB ON':
      case 'ENVSUB OFF':
        this.envsub = annotation === 'ENVSUB ON'
        return this.noteOmitted(lineNo)
    }
  }

  private upAnnotation(lineNo: number): void {
    if (this.section !== 'start') {
      this.report(msg.duplicateUpDiagnostic(this.file, lineNo, this.upLine))
      return this.noteOmitted(lineNo)
    }
    this.section = 'up'
    this.upLine = lineNo
    if (this.sqlBeforeUp && !this.downBeforeUp) {
      const { line, text } = this.sqlBeforeUp
      this.report(msg.sqlBeforeUpDiagnostic(this.file, line, text, lineNo))
    }
  }

  private downAnnotation(lineNo: number): void {
    if (this.section === 'start') {
      if (!this.downBeforeUp) this.report(msg.downBeforeUpDiagnostic(this.file, lineNo))
      this.downBeforeUp = true
      return
    }
    if (this.section === 'down') {
      this.report(msg.duplicateDownDiagnostic(this.file, lineNo, this.downLine))
      return this.noteOmitted(lineNo)
    }
    if (this.inBlock) {
      // goose fails here; the block's text is dropped rather than guessed at.
      this.report(msg.unterminatedBlockDiagnostic(this.file, this.blockLine, 'Up', lineNo))
      this.inBlock = false
      this.clear()
    } else {
      this.finishSection({ kind: 'down', line: lineNo })
    }
    this.emptyBlock = null
    this.section = 'down'
    this.downLine = lineNo
  }

  private beginBlock(lineNo: number): void {
    if (this.section === 'start' || this.inBlock) {
      const which = this.section === 'start' ? 'begin-before-up' : 'begin-nested'
      this.report(msg.misplacedBlockDiagnostic(this.file, lineNo, which, this.blockLine))
      return this.noteOmitted(lineNo)
    }
    // goose does not clear the buffer here: an unfinished statement before the block is glued on.
    this.inBlock = true
    this.blockLine = lineNo
    this.emptyBlock = null
    this.noteOmitted(lineNo)
  }

  private endBlock(lineNo: number): void {
    if (!this.inBlock) {
      this.report(msg.misplacedBlockDiagnostic(this.file, lineNo, 'end-without-begin', undefined))
      return this.noteOmitted(lineNo)
    }
    this.inBlock = false
    if (this.parts.length === 0) {
      // goose emits "" here and then drops the next SQL line; report it instead of copying that.
      this.emptyBlock = msg.emptyBlockDiagnostic(this.file, this.blockLine, lineNo)
      this.report(this.emptyBlock)
      return
    }
    if (isGoBlank(this.parts.join(''))) {
      this.report(msg.emptyBlockDiagnostic(this.file, this.blockLine, lineNo))
      return this.clear()
    }
    this.emit()
  }

  private content(line: string, lineNo: number): void {
    // Leading noise: blank and comment lines before a statement's first line are dropped. A line of
    // only spaces is not "empty" to goose, so it opens the statement and later comments are kept.
    if (this.parts.length === 0 && (line === '' || startsWithDashesAfterSpace(line))) return
    if (this.emptyBlock) {
      if (!isGoBlank(line)) msg.noteSwallowedLine(this.emptyBlock, lineNo, line)
      this.emptyBlock = null
    }
    if (this.section === 'start') {
      this.sqlBeforeUp ??= { line: lineNo, text: line }
      return
    }
    let text = line
    if (this.envsub) {
      const expanded = envsubLine(line, this.env)
      if (expanded.ok) text = expanded.text
      else this.report(msg.envsubDiagnostic(this.file, lineNo, expanded.error))
    }
    this.parts.push(text)
    this.partLines.push(lineNo)
    if (this.inBlock) return
    this.scan(text, lineNo)
    if (!endsWithSemicolon(text)) return
    const { open, delimiter } = this.lexer
    if (open === null) return this.emit()
    // goose would split here, inside a string or dollar quote; keep collecting instead.
    if (this.split === null) {
      this.split = msg.quoteSplitDiagnostic(
        this.file,
        lineNo,
        this.firstKeptLine(),
        open,
        this.openLine,
        delimiter,
      )
      this.report(this.split)
    }
  }

  private endOfFile(): void {
    if (this.section === 'start') {
      if (!this.downBeforeUp) {
        this.report(msg.missingUpDiagnostic(this.file, this.sqlBeforeUp))
      }
      return
    }
    if (this.inBlock) {
      const section = this.section === 'up' ? 'Up' : 'Down'
      this.report(msg.unterminatedBlockDiagnostic(this.file, this.blockLine, section, undefined))
      return this.clear()
    }
    this.finishSection({ kind: 'eof' })
  }

  /** At `-- +goose Down` or the end of the file: whatever is still collected is unfinished. */
  private finishSection(at: { kind: 'down'; line: number } | { kind: 'eof' }): void {
    const sql = goTrimSpace(this.parts.join('\n'))
    if (sql === '') return this.clear()
    const { first, last } = this.keptRange()
    if (this.split) {
      // Still inside the quote: the split diagnostic already explains what is wrong.
      const unclosed = this.lexer.open !== null
      msg.finishSplitDiagnostic(this.split, first, unclosed ? null : last)
      if (unclosed) return this.clear()
    }
    const section = this.section === 'up' ? 'Up' : 'Down'
    const lines = { first, last, whitespaceOnly: this.whitespaceOnlyLine() }
    const previous = (this.section === 'up' ? this.up : this.down).at(-1)?.sql
    this.report(msg.unterminatedStatementDiagnostic(this.file, section, sql, lines, at, previous))
    this.clear()
  }

  private emit(): void {
    const { first, last } = this.keptRange()
    const statement: GooseStatement = {
      sql: goTrimSpace(this.parts.join('\n')),
      line: first,
      endLine: last,
    }
    if (this.omitted.length > 0) {
      const omitted = this.omitted.filter((l) => l > first && l < last)
      if (omitted.length > 0) statement.omittedLines = omitted
    }
    if (this.split) msg.finishSplitDiagnostic(this.split, first, last)
    ;(this.section === 'down' ? this.down : this.up).push(statement)
    this.clear()
  }

  /** File lines of the first and last collected lines that hold more than white space. */
  private keptRange(): { first: number; last: number } {
    let a = 0
    let b = this.parts.length - 1
    while (a < b && isGoBlank(this.parts[a] ?? '')) a++
    while (b > a && isGoBlank(this.parts[b] ?? '')) b--
    return { first: this.partLines[a] ?? 0, last: this.partLines[b] ?? 0 }
  }

  private firstKeptLine(): number {
    return this.keptRange().first
  }

  /** The first collected line holding only white space (the cause of goose keeping comments). */
  private whitespaceOnlyLine(): number | undefined {
    const index = this.parts.findIndex((p) => p !== '' && isGoBlank(p))
    return index < 0 ? undefined : this.partLines[index]
  }

  /** Reads one statement line; remembers where a construct still open at its end started. */
  private scan(text: string, lineNo: number): void {
    // A line without tokens (an empty one) leaves the construct open before it unchanged.
    let resumed = this.lexer.open !== null
    const lexer = this.lexer.read(text)
    while (lexer.next()) resumed = lexer.resumed
    if (lexer.open !== null && !resumed) this.openLine = lineNo
  }

  /** An annotation line dropped while a statement is being collected is missing from its text. */
  private noteOmitted(lineNo: number): void {
    if (this.parts.length > 0) this.omitted.push(lineNo)
  }

  private clear(): void {
    // Reused, not reallocated: emitted statements keep no reference to these arrays.
    this.parts.length = 0
    this.partLines.length = 0
    this.omitted.length = 0
    this.split = null
    this.lexer.reset()
  }

  private report(diagnostic: Diagnostic): void {
    this.diagnostics.push(diagnostic)
  }
}
