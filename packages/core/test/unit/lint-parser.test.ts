import { beforeAll, describe, expect, it } from 'vitest'
import { tagOf } from '../../src/lint/ast.js'
import {
  loadParser,
  parseStatements,
  parseStatementSql,
  type ParseOutcome,
} from '../../src/lint/parser.js'
import { parseSuppression } from '../../src/lint/suppress.js'

/** Each command as `Tag[text]`, or the error, for comparing outcomes. */
function show(sql: string, outcome: ParseOutcome): string[] {
  if (!outcome.ok) return [`error ${outcome.message} @${outcome.offset}`]
  return outcome.commands.map((c) => `${tagOf(c.node)}[${sql.slice(c.start, c.end)}]`)
}

describe('lint parser', () => {
  beforeAll(() => loadParser())

  it('should give the same commands and offsets batched as one statement at a time', () => {
    const sqls = [
      'CREATE TABLE a (id int);',
      "/* Ünïcödé 日本語 */ SELECT 'é'; ALTER TABLE a ADD COLUMN b int -- trailing comment",
      '',
      '-- only a comment',
      'SELECT 1',
    ]
    const batched = parseStatements(sqls)
    expect(batched.map((o, i) => show(sqls[i]!, o))).toEqual(
      sqls.map((sql) => show(sql, parseStatementSql(sql))),
    )
    expect(show(sqls[1]!, batched[1]!)).toEqual([
      "SelectStmt[SELECT 'é']",
      'AlterTableStmt[ALTER TABLE a ADD COLUMN b int -- trailing comment]',
    ])
  })

  it('should not let a dollar-quoted body cut in two by goose parse as one command across statements', () => {
    const pieces = [
      'CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1;',
      'END; $$ LANGUAGE plpgsql;',
    ]
    const outcomes = parseStatements(pieces)
    expect(outcomes.map((o) => o.ok)).toEqual([false, false])
    expect(outcomes[0]).toMatchObject({
      ok: false,
      message: 'unterminated dollar-quoted string at or near "$$ BEGIN RETURN 1;"',
    })
  })

  it('should isolate a broken statement in a large batch and parse the others normally', () => {
    const sqls = Array.from({ length: 40 }, (_, i) => `CREATE TABLE t${i} (id int);`)
    sqls[17] = 'CREATE TABLE broken (id int) ENGINE=InnoDB;'
    const outcomes = parseStatements(sqls)
    expect(outcomes.map((o) => o.ok).filter((ok) => !ok)).toHaveLength(1)
    expect(outcomes[17]).toMatchObject({ ok: false, message: 'syntax error at or near "ENGINE"' })
    expect(show(sqls[18]!, outcomes[18]!)).toEqual(['CreateStmt[CREATE TABLE t18 (id int)]'])
  })

  it('should report syntax errors with a string offset after multi-byte text', () => {
    const sql = "SELECT 'ü😀';\nCREATE TABLE t (id int) ENGINE=InnoDB;"
    const outcome = parseStatementSql(sql)
    expect(outcome.ok).toBe(false)
    if (outcome.ok) return
    expect(outcome.message).toBe('syntax error at or near "ENGINE"')
    expect(sql.slice(outcome.offset)).toBe('ENGINE=InnoDB;')
  })

  it('should read suppression comments with one or more codes and a reason', () => {
    expect(parseSuppression('-- pgtestbed-lint-ignore LINT_A, LINT_B: small table')).toEqual({
      codes: ['LINT_A', 'LINT_B'],
      reason: 'small table',
    })
    expect(parseSuppression('DROP TABLE x; --pgtestbed-lint-ignore LINT_A')).toEqual({
      codes: ['LINT_A'],
      reason: '',
    })
    expect(parseSuppression("SELECT 'pgtestbed-lint-ignore LINT_A: x'")).toBeUndefined()
  })
})
