import { describe, expect, it } from 'vitest'
import { envsubLine } from '../../src/migrations/files/sqlparser/envsub.js'

const ENV = { NAME: 'bar', EMPTY: '', SHA: '1adf998e39f6', A_B: 'ab', ÉTÉ: 'summer' }
const ok = (line: string) => {
  const result = envsubLine(line, ENV)
  if (!result.ok) throw new Error(`expected ${line} to expand, got: ${result.error}`)
  return result.text
}
const failure = (line: string) => {
  const result = envsubLine(line, ENV)
  if (result.ok) throw new Error(`expected ${line} to fail, got: ${result.text}`)
  return result.error
}

describe('envsubLine (goose ENVSUB, mfridman/interpolate semantics)', () => {
  it('should replace $NAME and ${NAME}, and an unset variable with the empty string', () => {
    expect(ok('CREATE TABLE $NAME ();')).toBe('CREATE TABLE bar ();')
    expect(ok('${NAME}_log')).toBe('bar_log')
    expect(ok('x${UNSET}y $UNSET')).toBe('xy ')
    expect(ok('${A_B}x')).toBe('abx')
    expect(ok('$ÉTÉ')).toBe('summer')
  })

  it('should end a name at the first character that is not a letter, digit or "_"', () => {
    expect(ok('$NAME-x')).toBe('bar-x')
    expect(ok('$NAME_x')).toBe('')
  })

  it('should use :- when unset or empty, and - only when unset', () => {
    expect(ok('${UNSET:-d}|${EMPTY:-d}|${NAME:-d}')).toBe('d|d|bar')
    expect(ok('${UNSET-d}|${EMPTY-d}|${NAME-d}')).toBe('d||bar')
    expect(ok('${UNSET:-${NAME}-x}')).toBe('bar-x')
  })

  it('should take byte substrings with offsets and lengths, negative ones counting from the end', () => {
    expect(ok('${SHA:0:7}')).toBe('1adf998')
    expect(ok('${SHA:7}')).toBe('e39f6')
    expect(ok('${SHA: -3}')).toBe('9f6')
    expect(ok('${SHA:2:-3}')).toBe('df998e3')
    expect(ok('${SHA:99}|${SHA:0:0}|${UNSET:1:2}')).toBe('||')
  })

  it('should turn $$ and \\$ into $, and keep \\\\, $( and a final $', () => {
    expect(ok('AS $$ BEGIN')).toBe('AS $ BEGIN')
    expect(ok('\\$NAME and $${NAME}')).toBe('$NAME and ${NAME}')
    expect(ok('a \\\\ b \\n')).toBe('a \\\\ b \\n')
    expect(ok('$(date) costs $')).toBe('$(date) costs $')
  })

  it('should fail on a "$" that does not start a variable: $1, "$ ", "$\'", $_x', () => {
    expect(failure('SELECT $1;')).toBe('Expected identifier to start with a letter, got 1')
    expect(failure("SELECT '$ 5';")).toBe('Expected identifier to start with a letter, got  ')
    expect(failure("'$'")).toBe("Expected identifier to start with a letter, got '")
    expect(failure('$_x')).toBe('Expected identifier to start with a letter, got _')
  })

  it('should fail on ${NAME?msg} when unset, with "not set" for an empty message', () => {
    expect(failure('${UNSET?required env var not set}')).toBe('$UNSET: required env var not set')
    expect(failure('${UNSET?}')).toBe('$UNSET: not set')
    expect(ok('${EMPTY?x}${NAME?x}')).toBe('bar')
  })

  it('should report a syntax error anywhere on the line before any required-variable error', () => {
    expect(failure('${UNSET?first} $1')).toBe('Expected identifier to start with a letter, got 1')
  })

  it('should reject malformed braces: no operator, unclosed, and the unsupported :?', () => {
    expect(failure('${NAME x}')).toBe('Expected an operator, got  ')
    expect(failure('${NAME:-x')).toBe('Expected brace expansion to end with }, got \ufffd')
    expect(failure('${NAME:?msg}')).toBe(
      'Unable to parse offset: strconv.Atoi: parsing "?msg": invalid syntax',
    )
    expect(failure('${NAME:1:x}')).toBe(
      'Unable to parse length: strconv.Atoi: parsing "x": invalid syntax',
    )
  })

  it('should return a line without "$" unchanged', () => {
    const line = 'SELECT 1; -- \\ no variables'
    expect(envsubLine(line, ENV)).toEqual({ ok: true, text: line })
  })
})
