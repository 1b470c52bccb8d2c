import { describe, expect, it } from 'vitest'
import {
  classifyCommand,
  findNonTransactional,
  isCommentOnly,
  splitSqlCommands,
  transactionControl,
} from '../../src/migrations/files/non-transactional.js'

const starts = (sql: string) => splitSqlCommands(sql).map((c) => [c.tokens[0], c.lineOffset])
const labels = (sql: string) => findNonTransactional(sql).found.map((f) => f.label)

describe('splitSqlCommands', () => {
  it('should split on top-level semicolons and report each command’s line', () => {
    expect(starts('select 1;\n\ncreate table t (a int);\n  insert into t values (1)')).toEqual([
      ['SELECT', 0],
      ['CREATE', 2],
      ['INSERT', 3],
    ])
  })

  it('should not count comment-only pieces as commands', () => {
    expect(starts('create index concurrently i on t (a); -- note\n/* trailing */\n;;')).toEqual([
      ['CREATE', 0],
    ])
  })

  it('should ignore semicolons in strings, quoted identifiers, comments and dollar quotes', () => {
    const sql = [
      "insert into t values ('a;b', 'it''s;', E'x\\';y');",
      'select 1 as "weird;name";',
      '/* outer /* nested; */ still; comment */ select 2;',
      'create function f() returns int language plpgsql as $body$ begin; return 1; end; $body$;',
      'do $$ begin perform 1; end $$;',
    ].join('\n')
    expect(starts(sql)).toEqual([
      ['INSERT', 0],
      ['SELECT', 1],
      ['SELECT', 2],
      ['CREATE', 3],
      ['DO', 4],
    ])
  })

  it('should count lines inside skipped strings and comments', () => {
    expect(starts("select 'a\nb\nc';\n/* x\ny */ vacuum;")).toEqual([
      ['SELECT', 0],
      ['VACUUM', 4],
    ])
  })

  it('should keep a SQL-standard function body (BEGIN ATOMIC … END) in one command, CASE included', () => {
    const sql =
      'create function f(x int) returns int language sql begin atomic select case when x > 0 then 1 else 0 end; select 2; end; select 3;'
    expect(starts(sql)).toEqual([
      ['CREATE', 0],
      ['SELECT', 0],
    ])
  })

  it('should keep parenthesised rule actions in one command and treat $1 as a parameter', () => {
    expect(
      starts(
        'create rule r as on insert to t do also (insert into a values (1); insert into b values (2)); select $1;',
      ),
    ).toEqual([
      ['CREATE', 0],
      ['SELECT', 0],
    ])
  })
})

describe('classifyCommand', () => {
  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY IF EXISTS i', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i', 'REINDEX CONCURRENTLY'],
    ['REINDEX (VERBOSE, CONCURRENTLY) TABLE t', 'REINDEX CONCURRENTLY'],
    ['REINDEX SCHEMA public', 'REINDEX SCHEMA'],
    ['REINDEX DATABASE app', 'REINDEX DATABASE'],
    ['REINDEX SYSTEM app', 'REINDEX SYSTEM'],
    ['VACUUM (ANALYZE) t', 'VACUUM'],
    ['CLUSTER', 'CLUSTER without a table name'],
    ['CLUSTER VERBOSE', 'CLUSTER without a table name'],
    ['CREATE DATABASE app', 'CREATE DATABASE'],
    ['DROP DATABASE IF EXISTS app', 'DROP DATABASE'],
    ['ALTER DATABASE app SET TABLESPACE fast', 'ALTER DATABASE SET TABLESPACE'],
    ["CREATE TABLESPACE fast LOCATION '/ssd'", 'CREATE TABLESPACE'],
    ['DROP TABLESPACE fast', 'DROP TABLESPACE'],
    ["ALTER SYSTEM SET work_mem = '64MB'", 'ALTER SYSTEM'],
    ['DISCARD ALL', 'DISCARD ALL'],
    ['ALTER TABLE m DETACH PARTITION m_2020 CONCURRENTLY', 'DETACH PARTITION CONCURRENTLY'],
    [
      'ALTER TABLE IF EXISTS s.m DETACH PARTITION s.m_2020 CONCURRENTLY',
      'DETACH PARTITION CONCURRENTLY',
    ],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", 'CREATE SUBSCRIPTION'],
    ['DROP SUBSCRIPTION s', 'DROP SUBSCRIPTION'],
    ["COMMIT PREPARED 'tx1'", 'COMMIT PREPARED'],
  ])('should flag %s', (sql, label) => {
    expect(labels(sql)).toEqual([label])
  })

  it.each([
    'CREATE INDEX i ON t (a)',
    'REINDEX TABLE t',
    'REINDEX (CONCURRENTLY false) TABLE t',
    'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
    'CLUSTER t USING i',
    'CLUSTER VERBOSE t',
    'ALTER DATABASE app SET search_path TO public',
    'ALTER DATABASE app SET default_tablespace = fast',
    'ALTER TABLE m DETACH PARTITION m_2020',
    'ALTER TABLE t ADD COLUMN concurrently int',
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = false)",
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false)",
    'DISCARD PLANS',
    'ANALYZE t',
    'CREATE EXTENSION IF NOT EXISTS pgcrypto',
    "SELECT 'VACUUM'",
  ])('should accept %s inside a transaction', (sql) => {
    expect(labels(sql)).toEqual([])
  })

  it('should return null for an empty token list', () => {
    expect(classifyCommand([])).toBeNull()
  })
})

describe('transactionControl', () => {
  it.each([
    ['BEGIN', 'begin'],
    ['START TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'begin'],
    ['COMMIT', 'end'],
    ['END', 'end'],
    ['ROLLBACK', 'end'],
    ['ROLLBACK TO SAVEPOINT s', null],
    ["COMMIT PREPARED 'x'", null],
    ['SELECT 1', null],
  ])('should read %s as %s', (sql, expected) => {
    expect(transactionControl(splitSqlCommands(sql)[0]?.tokens ?? [])).toBe(expected)
  })
})

describe('isCommentOnly', () => {
  it.each([
    ['', true],
    ['  \n\t', true],
    ['-- nothing to undo\n-- really\n', true],
    ['/* block */\n-- line', true],
    ['-- migrate:down\n\n', true],
    ['-- note\nDROP TABLE t;', false],
    ['/* a */ SELECT 1', false],
  ])('should tell whether %j holds no SQL', (sql, expected) => {
    expect(isCommentOnly(sql)).toBe(expected)
  })
})

describe('findNonTransactional', () => {
  it('should still list the commands of a statement with no flagged word', () => {
    const scan = findNonTransactional('BEGIN; CREATE TABLE t (a int); COMMIT;')
    expect(scan.found).toEqual([])
    expect(scan.commands.map((c) => c.tokens[0])).toEqual(['BEGIN', 'CREATE', 'COMMIT'])
  })
})
