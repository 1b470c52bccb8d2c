/**
 * Text helpers that behave like the Go standard library functions goose relies on. JavaScript's
 * `trim()` differs from Go's `strings.TrimSpace` (it strips U+FEFF, Go does not; Go strips U+0085,
 * JavaScript does not), and goose's statement boundaries depend on exactly which characters count
 * as space, so the parser must not use the JavaScript built-ins.
 */

/**
 * True for the characters Go's `unicode.IsSpace` (and so `strings.TrimSpace` and
 * `bufio.ScanWords`) treats as white space.
 */
function isGoSpace(code: number): boolean {
  if (code <= 0xff) {
    return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0
  }
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  )
}

/** Go's `strings.TrimSpace`. Returns `text` itself when there is nothing to trim. */
export function goTrimSpace(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isGoSpace(text.charCodeAt(start))) start++
  while (end > start && isGoSpace(text.charCodeAt(end - 1))) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}

/** True when `text` is empty or holds only Go white space. */
export function isGoBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (!isGoSpace(text.charCodeAt(i))) return false
  }
  return true
}

/** True when `text`, after Go white space, starts with `--` (goose's test for a comment line). */
export function startsWithDashesAfterSpace(text: string): boolean {
  let i = 0
  while (i < text.length && isGoSpace(text.charCodeAt(i))) i++
  return text.charCodeAt(i) === 0x2d && text.charCodeAt(i + 1) === 0x2d
}

/**
 * goose's "ends with semicolon" rule: split the line into white-space separated words, stop at
 * the first word that starts with `--`, and report whether the last word before it ends with `;`.
 * Only the line end matters; strings, dollar quotes and block comments are not understood.
 *
 * @example
 * endsWithSemicolon('END; -- done') // true
 * endsWithSemicolon('SELECT 1;-- c') // false: the last word is `1;--`
 */
export function endsWithSemicolon(line: string): boolean {
  // Without "--" the rule is just "the last non-space character is ;" (the common, fast case).
  if (!line.includes('--')) {
    let end = line.length
    while (end > 0 && isGoSpace(line.charCodeAt(end - 1))) end--
    return end > 0 && line.charCodeAt(end - 1) === 0x3b
  }
  let lastWordEnd = -1
  let i = 0
  const n = line.length
  while (i < n) {
    while (i < n && isGoSpace(line.charCodeAt(i))) i++
    if (i >= n) break
    if (line.charCodeAt(i) === 0x2d && line.charCodeAt(i + 1) === 0x2d) break
    while (i < n && !isGoSpace(line.charCodeAt(i))) i++
    lastWordEnd = i
  }
  return lastWordEnd > 0 && line.charCodeAt(lastWordEnd - 1) === 0x3b
}

const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu

/**
 * Go's `%q` / `strconv.Quote`, close enough for messages: the text in double quotes with `"` and
 * `\` escaped and non-printable characters written as escapes (U+FEFF becomes `\ufeff`).
 */
export function goQuote(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
  return `"${escaped.replace(NOT_PRINTABLE, escapeRune)}"`
}

const SHORT_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
}

function escapeRune(char: string): string {
  const short = SHORT_ESCAPES[char]
  if (short) return short
  const code = char.codePointAt(0) ?? 0
  if (code < 0x80) return `\\x${code.toString(16).padStart(2, '0')}`
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`
  return `\\U${code.toString(16).padStart(8, '0')}`
}
