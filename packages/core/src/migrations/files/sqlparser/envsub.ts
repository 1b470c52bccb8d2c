/**
 * goose's `-- +goose ENVSUB ON` expansion, with the semantics of the `mfridman/interpolate` library
 * goose uses: each line is parsed completely first (a syntax error anywhere wins), then expanded.
 *
 * Grammar: `\\` stays `\\`; `\$` and `$$` become `$`; `$(` stays literal; a `$` that ends the line
 * stays literal; otherwise `$NAME` or `${NAME}` or `${NAME<op>}` with `:-word`, `-word`,
 * `:offset[:length]` or `?message`. A name starts with a letter and continues with letters, digits
 * and `_`.
 */
import { goQuote, goTrimSpace } from './go-text.js'

/** Environment for expansion: `undefined` (or a missing key) means "unset". */
export type EnvsubEnv = Readonly<Record<string, string | undefined>>

/** The outcome of {@link envsubLine}. */
export type EnvsubResult = { ok: true; text: string } | { ok: false; error: string }

/**
 * Expands one line the way goose does with ENVSUB on. On failure, `error` is the library's own
 * message (goose prints it as `variable substitution failed: <error>`).
 *
 * @example
 * envsubLine('CREATE TABLE ${PREFIX:-app}_users ();', {}) // { ok: true, text: 'CREATE TABLE app_users ();' }
 * envsubLine('SELECT $1', {}) // { ok: false, error: 'Expected identifier to start with a letter, got 1' }
 */
export function envsubLine(line: string, env: EnvsubEnv): EnvsubResult {
  // Without a `$` nothing can change: `\\` and other backslashes are copied as they are.
  if (!line.includes('$')) return { ok: true, text: line }
  try {
    const expression = new Parser(line).parseExpression(null)
    return { ok: true, text: expand(expression, env) }
  } catch (error) {
    if (error instanceof EnvsubError) return { ok: false, error: error.message }
    throw error
  }
}

class EnvsubError extends Error {}

type Item = string | Expansion
type Expansion =
  | { kind: 'value'; name: string }
  | { kind: 'default-if-empty'; name: string; content: Item[] }
  | { kind: 'default-if-unset'; name: string; content: Item[] }
  | { kind: 'substring'; name: string; offset: number; length?: number }
  | { kind: 'required'; name: string; message: Item[] }

const EOF = -1
/** Go's `utf8.RuneError`; the library's scans stop at it. */
const RUNE_ERROR = 0xfffd
const LETTER = /^\p{L}$/u
const NUMBER = /^\p{N}$/u

function isLetter(code: number): boolean {
  return code >= 0 && LETTER.test(String.fromCodePoint(code))
}

function isIdentifierChar(code: number): boolean {
  const char = String.fromCodePoint(code)
  return code === 0x5f || LETTER.test(char) || NUMBER.test(char)
}

/** Go's `%c` of a rune; end of input prints as U+FFFD, as Go does for -1. */
function runeText(code: number): string {
  return code === EOF ? '\ufffd' : String.fromCodePoint(code)
}

class Parser {
  private pos = 0
  constructor(private readonly input: string) {}

  parseExpression(stop: number | null): Item[] {
    const items: Item[] = []
    const input = this.input
    for (;;) {
      const c = this.peek()
      if (c === EOF || c === stop) break
      if (input.startsWith('\\\\', this.pos)) {
        this.pos += 2
        items.push('\\\\')
        continue
      }
      if (input.startsWith('\\$', this.pos) || input.startsWith('$$', this.pos)) {
        this.pos += 2
        items.push('$')
        continue
      }
      if (input.startsWith('$(', this.pos)) {
        this.pos += 2
        items.push('$(')
        continue
      }
      if (c === 0x24 && this.pos < input.length - 1) {
        items.push(this.parseExpansion())
        continue
      }
      const first = runeText(this.next())
      const rest = this.scanUntil((r) => r === 0x24 || r === 0x5c || r === stop)
      items.push(first + rest)
    }
    return items
  }

  private parseExpansion(): Expansion {
    this.next() // the `$`
    if (this.peek() === 0x7b) return this.parseBrace()
    return { kind: 'value', name: this.scanIdentifier() }
  }

  private parseBrace(): Expansion {
    this.next() // the `{`
    const name = this.scanIdentifier()
    if (this.peek() === 0x7d) {
      this.next()
      return { kind: 'value', name }
    }
    const op = this.next()
    let expansion: Expansion
    if (op === 0x3a && this.peek() === 0x2d) {
      this.next()
      expansion = { kind: 'default-if-empty', name, content: this.parseExpression(0x7d) }
    } else if (op === 0x3a) {
      expansion = this.parseSubstring(name)
    } else if (op === 0x2d) {
      expansion = { kind: 'default-if-unset', name, content: this.parseExpression(0x7d) }
    } else if (op === 0x3f) {
      expansion = { kind: 'required', name, message: this.parseExpression(0x7d) }
    } else {
      throw new EnvsubError(`Expected an operator, got ${runeText(op)}`)
    }
    const close = this.next()
    if (close !== 0x7d) {
      throw new EnvsubError(`Expected brace expansion to end with }, got ${runeText(close)}`)
    }
    return expansion
  }

  private parseSubstring(name: string): Expansion {
    const offset = parseGoInt(
      this.scanUntil((r) => r === 0x3a || r === 0x7d),
      'offset',
    )
    if (this.peek() === 0x7d) return { kind: 'substring', name, offset }
    this.next()
    const length = parseGoInt(
      this.scanUntil((r) => r === 0x7d),
      'length',
    )
    return { kind: 'substring', name, offset, length }
  }

  private scanIdentifier(): string {
    const c = this.peek()
    if (!isLetter(c)) {
      throw new EnvsubError(`Expected identifier to start with a letter, got ${runeText(c)}`)
    }
    return this.scanUntil((r) => !isIdentifierChar(r))
  }

  private scanUntil(stopAt: (code: number) => boolean): string {
    const start = this.pos
    const input = this.input
    while (this.pos < input.length) {
      const code = input.codePointAt(this.pos) ?? EOF
      if (code === RUNE_ERROR || stopAt(code)) break
      this.pos += code > 0xffff ? 2 : 1
    }
    return input.slice(start, this.pos)
  }

  private peek(): number {
    return this.pos < this.input.length ? (this.input.codePointAt(this.pos) ?? EOF) : EOF
  }

  private next(): number {
    const code = this.peek()
    if (code !== EOF) this.pos += code > 0xffff ? 2 : 1
    return code
  }
}

/** Go's `strconv.Atoi` on the trimmed text, with the library's error wording. */
function parseGoInt(raw: string, what: 'offset' | 'length'): number {
  const text = goTrimSpace(raw)
  const quoted = goQuote(text)
  if (!/^[+-]?\d+$/.test(text)) {
    throw new EnvsubError(
      `Unable to parse ${what}: strconv.Atoi: parsing ${quoted}: invalid syntax`,
    )
  }
  const value = BigInt(text)
  if (value > 9223372036854775807n || value < -9223372036854775808n) {
    throw new EnvsubError(
      `Unable to parse ${what}: strconv.Atoi: parsing ${quoted}: value out of range`,
    )
  }
  return Number(value)
}

function lookup(env: EnvsubEnv, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined
}

function expand(items: readonly Item[], env: EnvsubEnv): string {
  let out = ''
  for (const item of items) out += typeof item === 'string' ? item : expandOne(item, env)
  return out
}

function expandOne(e: Expansion, env: EnvsubEnv): string {
  const value = lookup(env, e.name)
  switch (e.kind) {
    case 'value':
      return value ?? ''
    case 'default-if-empty':
      return value === undefined || value === '' ? expand(e.content, env) : value
    case 'default-if-unset':
      return value === undefined ? expand(e.content, env) : value
    case 'substring':
      return substring(value ?? '', e.offset, e.length)
    case 'required': {
      if (value !== undefined) return value
      const message = expand(e.message, env)
      throw new EnvsubError(`$${e.name}: ${message === '' ? 'not set' : message}`)
    }
  }
}

/** Bash-style `${NAME:offset:length}` on the value's UTF-8 bytes, as Go slices strings. */
function substring(value: string, offset: number, length: number | undefined): string {
  // Only for ASCII values do characters and bytes coincide.
  const ascii = /^\p{ASCII}*$/u.test(value)
  const bytes = ascii ? null : Buffer.from(value, 'utf8')
  const size = bytes ? bytes.length : value.length
  let from = offset < 0 ? offset + size : offset
  from = Math.min(Math.max(from, 0), size)
  let to = size
  if (length !== undefined) {
    to = length >= 0 ? from + length : Math.max(length + size, from)
    to = Math.min(to, size)
  }
  return bytes ? bytes.subarray(from, to).toString('utf8') : value.slice(from, to)
}
