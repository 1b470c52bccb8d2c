import { describe, expect, it } from 'vitest'
import { SqlLexer, type SqlLexerOptions } from '../../src/migrations/files/sqlparser/lexer.js'

/** Every token of `sql` as `[kind, text]`. */
const tokens = (sql: string, options?: SqlLexerOptions) => {
  const lexer = new SqlLexer(options).read(sql)
  const out: [string, string][] = []
  while (lexer.next()) out.push([lexer.kind, sql.slice(lexer.start, lexer.end)])
  return out
}

/** The literal text of the first token of `sql`. */
const literal = (sql: string, options?: SqlLexerOptions) => {
  const lexer = new SqlLexer(options).read(sql)
  lexer.next()
  return lexer.literal()
}

/** Feeds `lines` one at a time, as goose's splitter does; what is open after the last one. */
const openAfter = (...lines: string[]) => {
  const lexer = new SqlLexer()
  let openLine = 0
  lines.forEach((text, i) => {
    let resumed = lexer.open !== null
    lexer.read(text)
    while (lexer.next()) resumed = lexer.resumed
    if (lexer.open !== null && !resumed) openLine = i + 1
  })
  return lexer.open === null ? null : [lexer.open, openLine]
}

describe('SqlLexer', () => {
  it('should read words, numbers, parameters, strings and symbols', () => {
    expect(tokens(`SELECT a$b, 1.5e3, $1 FROM "T" WHERE x >= 'y'; -- done`)).toEqual([
      ['word', 'SELECT'],
      ['word', 'a$b'],
      ['symbol', ','],
      ['number', '1.5e3'],
      ['symbol', ','],
      ['parameter', '$1'],
      ['word', 'FROM'],
      ['quoted-identifier', '"T"'],
      ['word', 'WHERE'],
      ['word', 'x'],
      ['symbol', '>'],
      ['symbol', '='],
      ['string', "'y'"],
      ['symbol', ';'],
      ['line-comment', '-- done'],
    ])
  })

  it('should nest block comments and start a comment inside an operator, as scan.l does', () => {
    expect(tokens('/* a /* b */ c; */ x')).toEqual([
      ['block-comment', '/* a /* b */ c; */'],
      ['word', 'x'],
    ])
    expect(tokens('/**/ /*/ still */ y')).toEqual([
      ['block-comment', '/**/'],
      ['block-comment', '/*/ still */'],
      ['word', 'y'],
    ])
    expect(tokens('a +--x\nb */')).toEqual([
      ['word', 'a'],
      ['symbol', '+'],
      ['line-comment', '--x'],
      ['word', 'b'],
      ['symbol', '*'],
      ['symbol', '/'],
    ])
    expect(openAfter('/* a /* b */', 'still;')).toEqual(['block-comment', 1])
    expect(openAfter('/* a /* b */', '*/ select 1;')).toBeNull()
  })

  it('should close a dollar quote only at the first identical delimiter', () => {
    expect(tokens('$fn$ select $$x$$; $f$ $fn $fn$;')).toEqual([
      ['dollar-quote', '$fn$ select $$x$$; $f$ $fn $fn$'],
      ['symbol', ';'],
    ])
    // Tags are case-sensitive; a longer tag that starts like the delimiter does not close it.
    expect(openAfter('AS $a$', '$A$ $ab$;')).toEqual(['dollar-quote', 1])
    // scan.l rescans a non-matching `$tag$` from its last `$`: `$x$a$` holds the closing `$a$`.
    expect(tokens('$a$ $x$a$')).toEqual([['dollar-quote', '$a$ $x$a$']])
    expect(tokens('$_1$ body $_1$ $é$ body $é$').map(([kind]) => kind)).toEqual([
      'dollar-quote',
      'dollar-quote',
    ])
  })

  it('should not open a dollar quote for parameters, names with $ or a tag without its closing $', () => {
    expect(tokens('$1$')).toEqual([
      ['parameter', '$1'],
      ['symbol', '$'],
    ])
    expect(tokens("$a E'\\''")).toEqual([
      ['symbol', '$'],
      ['word', 'a'],
      ['escape-string', "E'\\''"],
    ])
    expect(tokens('a$b$c $$')).toEqual([
      ['word', 'a$b$c'],
      ['dollar-quote', '$$'],
    ])
    expect(openAfter('SELECT $1;')).toBeNull()
    expect(openAfter('CREATE TABLE a$b$ (x int);')).toBeNull()
    expect(openAfter("SELECT '$$'; -- $$")).toBeNull()
  })

  it("should read backslash escapes in E'…' strings only", () => {
    expect(tokens("E'\\'' e'\\\\' x")).toEqual([
      ['escape-string', "E'\\''"],
      ['escape-string', "e'\\\\'"],
      ['word', 'x'],
    ])
    // `xE` is a name; the string after it is a plain one, where `\` is an ordinary character.
    expect(tokens("xE'\\' y")).toEqual([
      ['word', 'xE'],
      ['string', "'\\'"],
      ['word', 'y'],
    ])
    expect(tokens("U&'\\0041' B'01' X'1F'").map(([kind]) => kind)).toEqual([
      'word',
      'symbol',
      'string',
      'word',
      'string',
      'word',
      'string',
    ])
    expect(openAfter("SELECT E'\\'';")).toBeNull()
    expect(openAfter("SELECT E'\\';")).toEqual(['escape-string', 1])
    expect(openAfter("SELECT xE'\\';")).toBeNull()
  })

  it('should take backslash escapes in every string when standard_conforming_strings is off', () => {
    const off = { standardConformingStrings: false }
    expect(tokens("'\\' x")).toEqual([
      ['string', "'\\'"],
      ['word', 'x'],
    ])
    expect(tokens("'\\' x", off)).toEqual([['string', "'\\' x"]])
    expect(tokens("'it\\'s' x", off)).toEqual([
      ['string', "'it\\'s'"],
      ['word', 'x'],
    ])
    // Quoted identifiers and dollar quotes never take escapes.
    expect(tokens('"a\\" $$\\$$', off)).toEqual([
      ['quoted-identifier', '"a\\"'],
      ['dollar-quote', '$$\\$$'],
    ])
    expect(literal("'it\\'s'", off)).toBe("it\\'s")
  })

  it('should give the text of strings and quoted identifiers with doubled quotes read as one', () => {
    expect(literal("'it''s'")).toBe("it's")
    expect(literal("E'a\\'b''c'")).toBe("a\\'b'c")
    expect(literal('"say ""hi"""')).toBe('say "hi"')
    expect(literal("'never closed")).toBe('never closed')
  })

  it('should carry a construct open at the end of one text into the next', () => {
    expect(openAfter('AS $$', 'BEGIN')).toEqual(['dollar-quote', 1])
    expect(openAfter('AS $$', '', 'BEGIN', '')).toEqual(['dollar-quote', 1])
    expect(openAfter('AS $fn$', 'SELECT $$;', '$fn$;')).toBeNull()
    expect(openAfter("VALUES ('a;", "b');")).toBeNull()
    expect(openAfter("VALUES ('it''s;")).toEqual(['string', 1])
    expect(openAfter('SELECT "a;')).toEqual(['quoted-identifier', 1])
    expect(openAfter("SELECT 'a';", "'b", 'c;')).toEqual(['string', 2])
    // A backslash at a line end escapes the line break; the next line starts unescaped.
    expect(openAfter("SELECT E'a\\", "';")).toBeNull()

    const lexer = new SqlLexer().read("x 'a")
    while (lexer.next());
    lexer.read("b' y")
    expect(lexer.next()).toBe(true)
    expect([lexer.kind, lexer.resumed, lexer.start, lexer.end, lexer.literal()]).toEqual([
      'string',
      true,
      0,
      2,
      'b',
    ])
    lexer.reset()
    lexer.read("'")
    lexer.next()
    expect(lexer.resumed).toBe(false)
  })
})
