/**
 * A small validating JSON scanner that keeps source offsets, so journal diagnostics can point at
 * the line of a bad entry or of a syntax error. `JSON.parse` gives neither reliably on Node 20
 * (some messages carry no position). Values still come from `JSON.parse`; this only locates.
 */

/** One JSON value and where it starts in the text. */
export interface JsonNode {
  type: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null'
  /** Offset of the value's first character. */
  offset: number
  /** Object members in source order (objects only). */
  properties?: JsonProperty[]
  /** Elements in source order (arrays only). */
  items?: JsonNode[]
}

/** One object member: its key, where the key starts, and its value. */
interface JsonProperty {
  key: string
  offset: number
  value: JsonNode
}

/** A syntax error at `offset`. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const LITERALS = { true: 'boolean', false: 'boolean', null: 'null' } as const

/**
 * Parses `text` as strict JSON (RFC 8259, what `JSON.parse` accepts) into a tree of offsets.
 *
 * @throws JsonSyntaxError at the first offending character.
 * @example
 * parseJsonTree('{"a": [1]}').properties?.[0]?.value.items?.[0]?.offset // 7
 */
export function parseJsonTree(text: string): JsonNode {
  let pos = 0

  const fail = (message: string, at = pos): never => {
    throw new JsonSyntaxError(message, at)
  }
  const describe = (at: number): string =>
    at >= text.length ? 'the end of the file' : JSON.stringify(text[at])
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos] as string)) pos++
  }

  const parseString = (): string => {
    const start = pos
    pos++ // opening quote
    for (;;) {
      if (pos >= text.length) fail('unterminated string', start)
      const ch = text.charCodeAt(pos)
      if (ch === 0x22) break
      if (ch < 0x20) fail('control character inside a string (escape it, e.g. \\n)')
      if (ch === 0x5c) {
        const next = text[pos + 1]
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad \\u escape')
          pos += 6
          continue
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) fail('bad escape in a string')
        pos += 2
        continue
      }
      pos++
    }
    pos++ // closing quote
    return JSON.parse(text.slice(start, pos)) as string
  }

  const parseValue = (): JsonNode => {
    skipSpace()
    const offset = pos
    const ch = text[pos]
    if (ch === '{') {
      pos++
      const properties: JsonProperty[] = []
      skipSpace()
      if (text[pos] === '}') {
        pos++
        return { type: 'object', offset, properties }
      }
      for (;;) {
        skipSpace()
        if (text[pos] !== '"')
          fail(`expected a double-quoted property name, found ${describe(pos)}`)
        const keyOffset = pos
        const key = parseString()
        skipSpace()
        if (text[pos] !== ':') fail(`expected ':' after property name, found ${describe(pos)}`)
        pos++
        properties.push({ key, offset: keyOffset, value: parseValue() })
        skipSpace()
        if (text[pos] === ',') {
          pos++
          continue
        }
        if (text[pos] === '}') {
          pos++
          return { type: 'object', offset, properties }
        }
        fail(`expected ',' or '}' after a property value, found ${describe(pos)}`)
      }
    }
    if (ch === '[') {
      pos++
      const items: JsonNode[] = []
      skipSpace()
      if (text[pos] === ']') {
        pos++
        return { type: 'array', offset, items }
      }
      for (;;) {
        items.push(parseValue())
        skipSpace()
        if (text[pos] === ',') {
          pos++
          continue
        }
        if (text[pos] === ']') {
          pos++
          return { type: 'array', offset, items }
        }
        fail(`expected ',' or ']' after an array element, found ${describe(pos)}`)
      }
    }
    if (ch === '"') {
      parseString()
      return { type: 'string', offset }
    }
    NUMBER.lastIndex = pos
    if (NUMBER.exec(text) !== null) {
      pos = NUMBER.lastIndex
      return { type: 'number', offset }
    }
    for (const [word, type] of Object.entries(LITERALS)) {
      if (text.startsWith(word, pos)) {
        pos += word.length
        return { type, offset }
      }
    }
    if (ch === '\uFEFF') fail('the file starts with a byte order mark (BOM)')
    return fail(`unexpected ${describe(pos)}`)
  }

  const root = parseValue()
  skipSpace()
  if (pos < text.length) fail(`unexpected ${describe(pos)} after the end of the JSON value`)
  return root
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 0x0a) line++
  return line
}
