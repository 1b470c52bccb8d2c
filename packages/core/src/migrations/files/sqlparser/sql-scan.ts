/**
 * A small PostgreSQL lexer that only tracks which multi-line construct is open at the end of each
 * line. goose splits statements on a `;` at a line end without knowing about strings or dollar
 * quotes; this scanner lets the parser notice when such a split falls inside one.
 *
 * It follows PostgreSQL's rules (standard_conforming_strings on): `'…'` with `''`, `E'…'` with
 * backslash escapes, `"…"` with `""`, `$tag$…$tag$`, `--` to the line end and nested `/* … *\/`.
 * An identifier may contain `$` (`a$b`), so a `$` right after one never opens a dollar quote; `$1`
 * is a parameter, not a quote.
 */

/** A construct that can stay open across lines. */
export type OpenConstruct =
  'string' | 'escape-string' | 'quoted-identifier' | 'dollar-quote' | 'block-comment'

const QUOTE = 0x27
const DOUBLE_QUOTE = 0x22
const DOLLAR = 0x24
const BACKSLASH = 0x5c
const DASH = 0x2d
const SLASH = 0x2f
const STAR = 0x2a

/** The characters that can open a construct or a `--` comment. */
const SPECIAL = /[-/'"$]/g

/** A dollar-quote opener: `$`, an optional tag that does not start with a digit, `$`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y

function isWordChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === DOLLAR ||
    code >= 0x80
  )
}

/**
 * Feeds lines one at a time and remembers what is open at the end of the last one.
 *
 * @example
 * const scanner = new SqlScanner()
 * scanner.scanLine('CREATE FUNCTION f() RETURNS int AS $$', 3)
 * scanner.open // 'dollar-quote' (opened at scanner.openLine === 3)
 */
export class SqlScanner {
  /** The construct open at the end of the last line, or `null`. */
  open: OpenConstruct | null = null
  /** 1-based line where {@link open} started. */
  openLine = 0
  /** The dollar-quote delimiter (`$tag$`) while one is open. */
  delimiter = ''
  private depth = 0

  /** Forgets everything (a new statement starts). */
  reset(): void {
    this.open = null
    this.openLine = 0
    this.delimiter = ''
    this.depth = 0
  }

  /** Scans one line (without its line break); `line` is its 1-based file line. */
  scanLine(text: string, line: number): void {
    const n = text.length
    let i = 0
    while (i < n) {
      if (this.open !== null) {
        i = this.continueOpen(text, i)
        if (this.open !== null) return
        continue
      }
      // Jump straight to the next character that can start a construct.
      SPECIAL.lastIndex = i
      if (!SPECIAL.test(text)) return
      i = SPECIAL.lastIndex - 1
      const c = text.charCodeAt(i)
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0
      if (c === DASH) {
        if (text.charCodeAt(i + 1) === DASH) return
        i++
      } else if (c === SLASH) {
        if (text.charCodeAt(i + 1) === STAR) {
          this.start('block-comment', line)
          this.depth = 1
          i += 2
        } else {
          i++
        }
      } else if (c === QUOTE) {
        // `E'…'` is an escape string only when the E stands alone (`xE'…'` is a name, then a string).
        const escape =
          (prev === 0x45 || prev === 0x65) && (i < 2 || !isWordChar(text.charCodeAt(i - 2)))
        this.start(escape ? 'escape-string' : 'string', line)
        i++
      } else if (c === DOUBLE_QUOTE) {
        this.start('quoted-identifier', line)
        i++
      } else {
        // A `$` inside a name (`a$b`) or after a digit never opens a dollar quote.
        DOLLAR_TAG.lastIndex = i
        const match = i > 0 && isWordChar(prev) ? null : DOLLAR_TAG.exec(text)
        if (match) {
          this.start('dollar-quote', line)
          this.delimiter = match[0]
          i += match[0].length
        } else {
          i++
          // Skip the rest of `$1` or `$name` so its `$`s are not read as openers.
          while (i < n && isWordChar(text.charCodeAt(i))) i++
        }
      }
    }
  }

  private start(construct: OpenConstruct, line: number): void {
    this.open = construct
    this.openLine = line
  }

  private close(): void {
    this.open = null
    this.openLine = 0
    this.delimiter = ''
  }

  /** Continues inside the open construct from `i`; returns where normal scanning resumes. */
  private continueOpen(text: string, i: number): number {
    switch (this.open) {
      case 'string':
        return this.closeQuoted(text, i, "'")
      case 'quoted-identifier':
        return this.closeQuoted(text, i, '"')
      case 'escape-string':
        return this.closeEscapeString(text, i)
      case 'dollar-quote': {
        const end = text.indexOf(this.delimiter, i)
        if (end < 0) return text.length
        const next = end + this.delimiter.length
        this.close()
        return next
      }
      case 'block-comment':
        return this.closeBlockComment(text, i)
      default:
        return i
    }
  }

  /** `'…'` or `"…"`, where a doubled quote is part of the text. */
  private closeQuoted(text: string, i: number, quote: string): number {
    let at = i
    for (;;) {
      const end = text.indexOf(quote, at)
      if (end < 0) return text.length
      if (text[end + 1] === quote) {
        at = end + 2
        continue
      }
      this.close()
      return end + 1
    }
  }

  private closeEscapeString(text: string, i: number): number {
    const n = text.length
    let at = i
    while (at < n) {
      const c = text.charCodeAt(at)
      if (c === BACKSLASH) {
        at += 2
      } else if (c === QUOTE) {
        if (text.charCodeAt(at + 1) === QUOTE) {
          at += 2
        } else {
          this.close()
          return at + 1
        }
      } else {
        at++
      }
    }
    return n
  }

  private closeBlockComment(text: string, i: number): number {
    const n = text.length
    let at = i
    while (at < n) {
      const c = text.charCodeAt(at)
      if (c === SLASH && text.charCodeAt(at + 1) === STAR) {
        this.depth++
        at += 2
      } else if (c === STAR && text.charCodeAt(at + 1) === SLASH) {
        this.depth--
        at += 2
        if (this.depth === 0) {
          this.close()
          return at
        }
      } else {
        at++
      }
    }
    return n
  }
}
