import { beforeAll, describe, expect, it } from 'vitest'
import { ParseWindow } from '../../src/lint/parse-window.js'
import { loadParser, parseStatementSql } from '../../src/lint/parser.js'
import { SchemaModel } from '../../src/lint/schema.js'
import type { MigrationSection } from '../../src/migrations/types.js'

/** Applies each migration's SQL (one string per migration) to a fresh model, in order. */
function modelOf(...migrations: string[]): SchemaModel {
  const model = new SchemaModel()
  migrations.forEach((sql, index) => {
    const outcome = parseStatementSql(sql)
    if (!outcome.ok) throw new Error(outcome.message)
    for (const command of outcome.commands) model.apply(command.node, index)
  })
  return model
}

describe('lint schema model', () => {
  beforeAll(() => loadParser())

  it('should find an unqualified name in public first, else the only object of that name', () => {
    const model = modelOf(
      'CREATE TABLE app.orders (id int); CREATE TABLE billing.invoices (id int); CREATE TABLE app.invoices (id int);',
      'CREATE TABLE orders (id int);',
    )
    // public.orders (migration 1) wins over app.orders (migration 0).
    expect(model.table({ name: 'orders' })?.createdIn).toBe(1)
    expect(model.table({ schema: 'app', name: 'orders' })?.createdIn).toBe(0)
    // Two schemas hold invoices and neither is public: ambiguous, so lint treats it as unknown.
    expect(model.table({ name: 'invoices' })).toBeUndefined()
    expect(model.table({ name: 'missing' })).toBeUndefined()
  })

  it('should follow drops, renames and schema moves of tables, indexes and enum types', () => {
    const model = modelOf(
      "CREATE SCHEMA app; CREATE TABLE app.users (id int); CREATE INDEX users_id ON app.users (id); CREATE TYPE mood AS ENUM ('ok');",
      'ALTER TABLE app.users RENAME TO people; ALTER TABLE app.people SET SCHEMA core; DROP INDEX app.users_id; ALTER TYPE mood RENAME TO feeling;',
    )
    expect(model.table({ name: 'users' })).toBeUndefined()
    expect(model.table({ name: 'people' })?.name).toEqual({ schema: 'core', name: 'people' })
    expect(model.index({ schema: 'app', name: 'users_id' })).toBeUndefined()
    expect(model.enumType({ name: 'mood' })).toBeUndefined()
    expect(model.enumType({ name: 'feeling' })?.labels).toEqual(['ok'])
  })
})

describe('lint parse window', () => {
  beforeAll(() => loadParser())

  it('should give every statement its own outcome, in walk order or not', () => {
    const statements = Array.from({ length: 3000 }, (_, k) => ({
      sql: k === 1500 ? 'ALTER TABLE t MODIFY COLUMN x int;' : `SELECT ${k};`,
      line: k + 1,
      endLine: k + 1,
    }))
    const section: MigrationSection = { file: '/x.sql', line: 1, transaction: true, statements }
    const window = new ParseWindow([section])
    const outcomes = statements.map((s) => window.outcome(s))
    expect(outcomes.filter((o) => !o.ok).length).toBe(1)
    expect(outcomes[1500]).toMatchObject({ ok: false, message: 'syntax error at or near "MODIFY"' })
    // Asked again after the window moved on: parsed on its own, same answer.
    expect(window.outcome(statements[10]!)).toEqual(parseStatementSql('SELECT 10;'))
  })
})
