/**
 * PostgreSQL's lexical rules, written once for every hand-written reader of migration SQL: goose's
 * splitter asks whether a `;` at a line end falls inside a string or dollar quote, the command
 * splitter (`../non-transactional.ts`) finds the `;` that end commands and the words that start
 * them, and the schema diff reads index definitions. Linting uses a real parser (libpg-query);
 * this is the cheap pass that runs on every file.
 *
 * It follows the server's scanner (`src/backend/parser/scan.l`):
 * - `'…'` with `''` for a quote; backslash escapes only in `E'…'`, or in every string when
 *   `standard_conforming_strings` is off (on by default since PostgreSQL 9.1);
 * - `"…"` with `""`; `$tag$…$tag$`, closed by the first identical delimiter, nothing escaped inside;
 *   the tag is an identifier without `$` (`$1` is a parameter, `$a` without a closing `$` is a
 *   lone `$` then a word);
 * - `--` to the line end; `/* … *\/` nests;
 * - an identifier starts with a letter, `_` or a non-ASCII character and continues with those,
 *   digits and `$`, so `a$b$` is one name and never opens a dollar quote, and `xE'…'` is the name
 *   `xE` then a plain string.
 *
 * Simplifications that no caller notices: operators come one character at a time (the server
 * joins `>=` into one token; `--` and `/*` still start comments wherever they appear, as there);
 * a number runs over letters, digits, `$` and `.`; `'a'` newline `'b'` is two strings (the server
 * joins them into one).
 *
 * The lexer reads one text at a time and remembers a construct still open at its end, so a caller
 * can feed a file line by line and ask, after each line, what is open.
 */

/** A construct that can stay open past the end of a text (across lines). */
export type OpenConstruct =
  'string' | 'escape-string' | 'quoted-identifier' | 'dollar-quote' | 'block-comment'

/**
 * What a token is. The kinds of {@link OpenConstruct} cover their delimiters (`E'…'` includes the
 * `E`); `symbol` is any other single character.
 */
export type TokenKind = OpenConstruct | 'word' | 'number' | 'parameter' | 'line-comment' | 'symbol'

/** Options of {@link SqlLexer}. */
export interface SqlLexerOptions {
  /**
   * The server setting of that name: when `false`, a backslash escapes the next character in
   * every `'…'` string, as in `E'…'`. Default: `true` (PostgreSQL's default since 9.1).
   */
  standardConformingStrings?: boolean
}

const TAB = 0x09
const CARRIAGE_RETURN = 0x0d
const SPACE = 0x20
const DOUBLE_QUOTE = 0x22
const DOLLAR = 0x24
const QUOTE = 0x27
const STAR = 0x2a
const DASH = 0x2d
const DOT = 0x2e
const SLASH = 0x2f
const BACKSLASH = 0x5c

const isDigit = (c: number) => c >= 0x30 && c <= 0x39
/** `ident_start` of scan.l: a letter, `_`, or any non-ASCII character. */
const isIdentStart = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80
/** `ident_cont` of scan.l: `ident_start`, a digit or `$`. */
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c) || c === DOLLAR
/** scan.l's `space`: space, tab, line feed, carriage return, form feed, vertical tab. */
const isSpace = (c: number) => c === SPACE || (c >= TAB && c <= CARRIAGE_RETURN)

/** A dollar-quote delimiter: `$`, an optional tag (an identifier without `$`), `$`. */
const DOLLAR_DELIMITER = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y

/**
 * Reads PostgreSQL tokens one at a time: call {@link read} with a text, then {@link next} until it
 * returns `false`; the current token is {@link kind}, {@link start} and {@link end}.
 *
 * @example
 * const lexer = new SqlLexer()
 * lexer.read('CREATE FUNCTION f() RETURNS int AS $$')
 * while (lexer.next()) console.log(lexer.kind, lexer.text.slice(lexer.start, lexer.end))
 * lexer.open // 'dollar-quote': the next text read continues inside the body
 */
export class SqlLexer {
  /** The text being read. */
  text = ''
  /** The current token's kind. */
  kind: TokenKind = 'symbol'
  /** Offset of the current token's first character in {@link text}. */
  start = 0
  /** Offset just past the current token. */
  end = 0
  /**
   * True when the current token continues a construct left open by the previous text (it starts
   * at the beginning of this text and has no opening delimiter).
   */
  resumed = false
  /** The construct still open at the current token's end (it ran to the end of the text), or `null`. */
  open: OpenConstruct | null = null
  /** The dollar-quote delimiter (`$tag$`) while one is open. */
  delimiter = ''

  private readonly standardConformingStrings: boolean
  private pos = 0
  /** Nesting depth of the open block comment. */
  private depth = 0
  /** Whether the open `'…'` string takes backslash escapes. */
  private backslashes = false

  constructor(options: SqlLexerOptions = {}) {
    this.standardConformingStrings = options.standardConformingStrings ?? true
  }

  /**
   * Starts reading `text` at offset `from`. A construct left open by the previous text continues:
   * the first token is its rest.
   */
  read(text: string, from = 0): this {
    this.text = text
    this.pos = from
    return this
  }

  /** Forgets an open construct: the next text starts outside any. */
  reset(): void {
    this.open = null
    this.delimiter = ''
    this.depth = 0
    this.backslashes = false
  }

  /** Moves to the next token; `false` at the end of the text. Whitespace is skipped. */
  next(): boolean {
    const text = this.text
    const n = text.length
    let i = this.pos
    if (this.open !== null) {
      if (i >= n) return false
      this.kind = this.open
      this.start = i
      this.resumed = true
      this.end = this.pos = this.continueOpen(i)
      return true
    }
    while (i < n && isSpace(text.charCodeAt(i))) i++
    if (i >= n) {
      this.pos = n
      return false
    }
    this.start = i
    this.resumed = false
    const c = text.charCodeAt(i)
    const following = text.charCodeAt(i + 1)
    if (c === DASH && following === DASH) {
      const lineEnd = text.indexOf('\n', i)
      this.kind = 'line-comment'
      this.end = lineEnd < 0 ? n : lineEnd
    } else if (c === SLASH && following === STAR) {
      this.depth = 1
      this.end = this.begin('block-comment', i + 2)
    } else if (c === QUOTE) {
      this.backslashes = !this.standardConformingStrings
      this.end = this.begin('string', i + 1)
    } else if ((c === 0x45 || c === 0x65) && following === QUOTE) {
      this.end = this.begin('escape-string', i + 2)
    } else if (c === DOUBLE_QUOTE) {
      this.end = this.begin('quoted-identifier', i + 1)
    } else if (c === DOLLAR) {
      this.end = this.dollar(i)
    } else if (isIdentStart(c)) {
      let k = i + 1
      while (k < n && isIdentPart(text.charCodeAt(k))) k++
      this.kind = 'word'
      this.end = k
    } else if (isDigit(c)) {
      let k = i + 1
      while (k < n && (isIdentPart(text.charCodeAt(k)) || text.charCodeAt(k) === DOT)) k++
      this.kind = 'number'
      this.end = k
    } else {
      this.kind = 'symbol'
      this.end = i + 1
    }
    this.pos = this.end
    return true
  }

  /**
   * The text of the current string or quoted identifier without its delimiters, a doubled quote
   * read as one. Backslash sequences are kept as written (not decoded).
   *
   * @example
   * lexer.read("E'it''s \\n'").next()
   * lexer.literal() // "it's \\n"
   */
  literal(): string {
    const quote = this.kind === 'quoted-identifier' ? DOUBLE_QUOTE : QUOTE
    const escapes = this.kind === 'escape-string' || !this.standardConformingStrings
    const text = this.text
    // The body starts after the opening quote (and after the `E` of `E'…'`).
    let k = this.resumed ? this.start : text.indexOf(String.fromCharCode(quote), this.start) + 1
    const stop = this.open === null ? this.end - 1 : this.end
    let value = ''
    let from = k
    while (k < stop) {
      const c = text.charCodeAt(k)
      if (escapes && c === BACKSLASH) {
        k += 2
      } else if (c === quote) {
        // Inside the token a quote is always the first of a doubled pair.
        value += text.slice(from, k + 1)
        k += 2
        from = k
      } else {
        k++
      }
    }
    return value + text.slice(from, Math.min(stop, text.length))
  }

  /** Opens `construct` whose body starts at `bodyStart`; returns where its token ends. */
  private begin(construct: OpenConstruct, bodyStart: number): number {
    this.kind = construct
    this.open = construct
    if (construct === 'escape-string') this.backslashes = true
    return this.continueOpen(bodyStart)
  }

  /** A `$` at `i`: a dollar-quote opener, a parameter (`$1`) or a lone `$`. */
  private dollar(i: number): number {
    DOLLAR_DELIMITER.lastIndex = i
    const delimiter = DOLLAR_DELIMITER.exec(this.text)
    if (delimiter) {
      this.delimiter = delimiter[0]
      return this.begin('dollar-quote', i + delimiter[0].length)
    }
    let k = i + 1
    while (k < this.text.length && isDigit(this.text.charCodeAt(k))) k++
    this.kind = k > i + 1 ? 'parameter' : 'symbol'
    return k
  }

  /** Reads the open construct's body from `i`; returns its end, closing it when found. */
  private continueOpen(i: number): number {
    switch (this.open) {
      case 'string':
        return this.closeQuoted(i, QUOTE, this.backslashes)
      case 'escape-string':
        return this.closeQuoted(i, QUOTE, true)
      case 'quoted-identifier':
        return this.closeQuoted(i, DOUBLE_QUOTE, false)
      case 'dollar-quote': {
        // scan.l rescans a non-matching `$tag$` from its last `$`, so the first occurrence closes.
        const close = this.text.indexOf(this.delimiter, i)
        if (close < 0) return this.text.length
        const end = close + this.delimiter.length
        this.close()
        return end
      }
      case 'block-comment':
        return this.closeBlockComment(i)
      default:
        return i
    }
  }

  /** A quoted body where a doubled quote is part of the text and, maybe, `\` escapes. */
  private closeQuoted(i: number, quote: number, backslashes: boolean): number {
    const text = this.text
    const n = text.length
    let k = i
    while (k < n) {
      const c = text.charCodeAt(k)
      if (backslashes && c === BACKSLASH) {
        k += 2
      } else if (c === quote) {
        if (text.charCodeAt(k + 1) !== quote) {
          this.close()
          return k + 1
        }
        k += 2
      } else {
        k++
      }
    }
    return n
  }

  private closeBlockComment(i: number): number {
    const text = this.text
    const n = text.length
    let k = i
    while (k < n) {
      const c = text.charCodeAt(k)
      if (c === SLASH && text.charCodeAt(k + 1) === STAR) {
        this.depth++
        k += 2
      } else if (c === STAR && text.charCodeAt(k + 1) === SLASH) {
        k += 2
        if (--this.depth === 0) {
          this.close()
          return k
        }
      } else {
        k++
      }
    }
    return n
  }

  private close(): void {
    this.open = null
    this.delimiter = ''
    this.backslashes = false
  }
}
