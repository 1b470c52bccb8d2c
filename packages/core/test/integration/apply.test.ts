import path from 'node:path'
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import type { MigrationEvent } from '../../src/migrations/database/apply.js'
import { MigrationApplyError } from '../../src/migrations/database/apply-errors.js'
import { withScratchDatabase } from '../helpers/pg.js'
import { drizzleSet, gooseSet, withTempDir } from '../helpers/migration-set.js'

async function rejection(promise: Promise<unknown>): Promise<MigrationApplyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof MigrationApplyError))
    throw new Error(`expected MigrationApplyError, got ${String(error)}`)
  return error
}

async function exists(client: pg.Client, relation: string): Promise<boolean> {
  const result = await client.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [
    relation,
  ])
  return result.rows[0]?.r !== null
}

async function gooseVersions(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ v: string }>(
    'SELECT version_id::text AS v FROM goose_db_version ORDER BY id',
  )
  return result.rows.map((r) => r.v)
}

describe('applyMigrations (goose)', () => {
  it('should run only the Up section, so a Down that drops the table never runs (incident 1)', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        {
          version: 1,
          name: 'create_users',
          up: ['CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);'],
          down: ['DROP TABLE users;', 'CREATE TABLE down_ran (x int);'],
        },
      ])
      await withScratchDatabase(async (client) => {
        const result = await applyMigrations(client, set)
        expect(result.applied.map((a) => a.migration.version)).toEqual(['1'])
        expect(await exists(client, 'users')).toBe(true)
        expect(await exists(client, 'down_ran')).toBe(false)
        expect(await gooseVersions(client)).toEqual(['0', '1'])
      })
    })
  })

  it('should stop at the failing statement of the 3rd of 4 migrations and say where and why (incident 4)', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        {
          version: 1,
          name: 'create_accounts',
          up: ['CREATE TABLE accounts (id int PRIMARY KEY, name text);'],
        },
        {
          version: 2,
          name: 'create_staging',
          up: ['CREATE TABLE staging (id int, name text);', "INSERT INTO staging VALUES (1, 'a');"],
        },
        {
          version: 3,
          name: 'add_items',
          header: '-- items copied from staging',
          up: [
            'CREATE TABLE items (id int PRIMARY KEY, name text);',
            'INSERT INTO items (id, name)\nSELECT id,\n       normalise_name(name)\nFROM staging;',
          ],
        },
        { version: 4, name: 'never', up: ['CREATE TABLE never_applied (x int);'] },
      ])
      const file = path.join(dir, '00003_add_items.sql')
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        // The file: header line 1, `-- +goose Up` line 2, statement 1 on line 3, statement 2 on 4–7.
        expect(error.code).toBe('APPLY_FAILED')
        expect(isPgtestbedError(error)).toBe(true)
        expect(error.file).toBe(file)
        expect(error.statementNumber).toBe(2)
        expect(error.statementLine).toBe(4)
        expect(error.errorLine).toBe(6)
        expect(error.postgres.code).toBe('42883')
        expect(error.postgres.message).toBe('function normalise_name(text) does not exist')
        expect(error.postgres.hint).toMatch(/No function matches the given name and argument types/)
        expect(error.applied.map((m) => m.version)).toEqual(['1', '2'])
        expect(error.statementsKept).toBe(0)
        expect((error.cause as { code?: string }).code).toBe('42883')
        expect(error.message).toContain(
          'failed to apply migration 00003_add_items.sql (version 3): statement 2 (line 4) failed at line 6: ERROR 42883: function normalise_name(text) does not exist',
        )
        expect(error.message).toContain(
          '    hint: No function matches the given name and argument types.',
        )
        expect(error.message).toContain('applied before it in this run: 1, 2')
        expect(error.message).toContain(
          'nothing of this migration was kept: its transaction was rolled back and version 3 was not recorded in goose_db_version',
        )
        expect(error.message).toContain(
          '  statement 2:\n    4 | INSERT INTO items (id, name)\n    5 | SELECT id,\n  > 6 |        normalise_name(name)\n      |        ^\n    7 | FROM staging;',
        )
        expect(error.fix).toBe('fix 00003_add_items.sql (statement 2, line 4) and run again')

        expect(await gooseVersions(client)).toEqual(['0', '1', '2'])
        expect(await exists(client, 'staging')).toBe(true)
        expect(await exists(client, 'items')).toBe(false)
        expect(await exists(client, 'never_applied')).toBe(false)
      })
    })
  })

  it("should name a missing extension as the server's, with the servers that have it, not blame the migration", async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'vectors', up: ['CREATE EXTENSION pgtestbed_no_such_extension;'] },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.code).toBe('APPLY_FAILED')
        // One line, named once: the error is on the statement's own line.
        expect(error.message).toContain('statement 1 (line 2) failed: ERROR 0A000')
        expect(error.fix).toMatch(
          /^the server has no "pgtestbed_no_such_extension" extension \(the migration is fine\): .*server: 'docker' with an image that has .*server: 'url'/,
        )
      })
    })
  })

  it("should report PostgreSQL's detail, hint and context", async () => {
    await withTempDir(async (dir) => {
      const raise = `DO $$
BEGIN
  RAISE EXCEPTION 'balance check failed' USING DETAIL = 'account 7 is negative', HINT = 'run the fix-up script first', ERRCODE = '23514';
END
$$;`
      const set = gooseSet(dir, [{ version: 1, name: 'check', up: ['SELECT 1;', raise] }])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.postgres).toMatchObject({
          code: '23514',
          message: 'balance check failed',
          detail: 'account 7 is negative',
          hint: 'run the fix-up script first',
        })
        expect(error.postgres.where).toMatch(/PL\/pgSQL function inline_code_block line 3 at RAISE/)
        expect(error.statementNumber).toBe(2)
        expect(error.statementLine).toBe(4)
        expect(error.errorLine).toBeUndefined()
        expect(error.message).toContain(
          'statement 2 (line 4) failed: ERROR 23514: balance check failed',
        )
        expect(error.message).toContain('    detail: account 7 is negative')
        expect(error.message).toContain('    hint: run the fix-up script first')
        expect(error.message).toContain(
          '    where: PL/pgSQL function inline_code_block line 3 at RAISE',
        )
      })
    })
  })

  it('should map the error position of a first statement (sent after BEGIN) to its file line', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 7, name: 'bad', up: ['SELECT *\n  FROM no_such_table;'] },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.statementNumber).toBe(1)
        expect(error.statementLine).toBe(2)
        expect(error.errorLine).toBe(3)
        expect(error.postgres.code).toBe('42P01')
        expect(error.message).toContain('applied before it in this run: none')
        expect(await gooseVersions(client)).toEqual(['0'])
      })
    })
  })

  it('should count the error position in characters, not UTF-16 units, when text before it is not ASCII', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        {
          version: 1,
          name: 'emoji',
          up: ["SELECT '😀😀' AS a,\n       'é' AS b,\n       nope_column\nFROM (SELECT 1) s;"],
        },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.postgres.code).toBe('42703')
        expect(error.errorLine).toBe(4)
        expect(error.message).toContain('  > 4 |        nope_column\n      |        ^')
      })
    })
  })

  it('should map a drizzle chunk, which starts with the newline after the breakpoint, to its file line', async () => {
    await withTempDir(async (dir) => {
      const set = drizzleSet(dir, [
        {
          tag: '0000_init',
          when: 1000,
          statements: ['CREATE TABLE "a" ("id" integer);', 'INSERT INTO "a" ("x") VALUES (1);'],
        },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.statementNumber).toBe(2)
        expect(error.statementLine).toBe(3)
        expect(error.errorLine).toBe(3)
        expect(error.message).toContain(
          'failed to apply migration 0000_init.sql (version 0000_init): statement 2 (line 3) failed: ERROR 42703: column "x" of relation "a" does not exist',
        )
        expect(error.message).toContain(
          'version 0000_init was not recorded in drizzle.__drizzle_migrations',
        )
        const a = await client.query("SELECT to_regclass('a') AS r")
        expect(a.rows[0].r).toBeNull()
      })
    })
  })

  it('should run NO TRANSACTION migrations in autocommit so CREATE INDEX CONCURRENTLY works', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'orders', up: ['CREATE TABLE orders (id int, customer int);'] },
        {
          version: 2,
          name: 'orders_customer_idx',
          noTransaction: true,
          up: ['CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer);'],
        },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        const index = await client.query<{ valid: boolean }>(
          "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'orders_customer_idx'::regclass",
        )
        expect(index.rows).toEqual([{ valid: true }])
        expect(await gooseVersions(client)).toEqual(['0', '1', '2'])
      })
    })
  })

  it('should refuse CREATE INDEX CONCURRENTLY inside a transactional migration with a NO TRANSACTION fix', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        {
          version: 1,
          name: 'idx',
          up: ['CREATE TABLE t (id int);', 'CREATE INDEX CONCURRENTLY t_id_idx ON t (id);'],
        },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.postgres.code).toBe('25001')
        expect(error.message).toContain(
          'ERROR 25001: CREATE INDEX CONCURRENTLY cannot run inside a transaction block',
        )
        expect(error.fix).toMatch(/^add `-- \+goose NO TRANSACTION` to 00001_idx\.sql/)
        expect(await exists(client, 't')).toBe(false)
      })
    })
  })

  it('should tell a NO TRANSACTION migration to give CREATE INDEX CONCURRENTLY a line of its own', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        {
          version: 1,
          name: 'idx',
          noTransaction: true,
          up: ['CREATE TABLE t (id int); CREATE INDEX CONCURRENTLY t_id_idx ON t (id);'],
        },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.postgres.code).toBe('25001')
        expect(error.fix).toBe(
          'put this command on its own line ending with ; in 00001_idx.sql: goose sends commands that share a line (or a StatementBegin block) as one query',
        )
      })
    })
  })

  it('should keep the statements a NO TRANSACTION migration ran before failing, and not record it', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        {
          version: 1,
          name: 'partial',
          noTransaction: true,
          up: ['CREATE TABLE kept (id int);', 'CREATE TABLE kept (id int);'],
        },
      ])
      await withScratchDatabase(async (client) => {
        const error = await rejection(applyMigrations(client, set))
        expect(error.statementNumber).toBe(2)
        expect(error.statementsKept).toBe(1)
        expect(error.postgres.code).toBe('42P07')
        expect(error.message).toContain(
          'statement 1 of this migration ran without a transaction and stays applied; version 1 was not recorded in goose_db_version',
        )
        expect(error.fix).toMatch(/the statements before it stay applied/)
        expect(await exists(client, 'kept')).toBe(true)
        expect(await gooseVersions(client)).toEqual(['0'])
      })
    })
  })

  it('should send a line holding two commands as one query, as goose does', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'two', up: ['CREATE TABLE a (id int); CREATE TABLE b (id int);'] },
      ])
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, set)
        expect(await exists(client, 'a')).toBe(true)
        expect(await exists(client, 'b')).toBe(true)
      })
    })
  })

  it('should record an empty migration, apply nothing the second time, and stop at `to`', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'a', up: ['CREATE TABLE a (id int);'] },
        { version: 2, name: 'empty', up: [] },
        { version: 3, name: 'c', up: ['CREATE TABLE c (id int);'] },
      ])
      await withScratchDatabase(async (client) => {
        const first = await applyMigrations(client, set, { to: '2' })
        expect(first.applied.map((a) => a.migration.version)).toEqual(['1', '2'])
        expect(first.currentVersion).toBe('2')
        expect(await exists(client, 'c')).toBe(false)
        const second = await applyMigrations(client, set)
        expect(second.applied.map((a) => a.migration.version)).toEqual(['3'])
        expect(second.currentVersion).toBe('3')
        const third = await applyMigrations(client, set)
        expect(third.applied).toEqual([])
        expect(third.currentVersion).toBe('3')
        expect(await gooseVersions(client)).toEqual(['0', '1', '2', '3'])
      })
    })
  })

  it('should report progress with index, total and duration', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'a', up: ['CREATE TABLE a (id int);'] },
        { version: 2, name: 'b', up: ['CREATE TABLE b (id int);'] },
      ])
      await withScratchDatabase(async (client) => {
        const events: MigrationEvent[] = []
        await applyMigrations(client, set, { onMigration: (e) => events.push(e) })
        expect(
          events.map((e) => `${e.phase} ${e.migration.version} ${e.index}/${e.total}`),
        ).toEqual(['start 1 0/2', 'done 1 0/2', 'start 2 1/2', 'done 2 1/2'])
        expect(
          events.filter((e) => e.phase === 'done').every((e) => typeof e.ms === 'number'),
        ).toBe(true)
      })
    })
  })

  it('should refuse a set with error diagnostics before touching the database', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [{ version: 1, name: 'a', up: ['CREATE TABLE a (id int);'] }])
      set.diagnostics.push({
        severity: 'error',
        code: 'UNTERMINATED_STATEMENT',
        message: '00002_b.sql: statement never ends',
        file: path.join(dir, '00002_b.sql'),
        line: 3,
      })
      await withScratchDatabase(async (client) => {
        const error = await applyMigrations(client, set).catch((e: unknown) => e)
        expect(isPgtestbedError(error) && error.code).toBe('VALIDATION_FAILED')
        expect((error as Error).message).toContain(
          'UNTERMINATED_STATEMENT 00002_b.sql: statement never ends',
        )
        expect(await exists(client, 'goose_db_version')).toBe(false)
      })
    })
  })

  it('should reject a `to` version that no migration has', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [{ version: 1, name: 'a', up: ['SELECT 1;'] }])
      await withScratchDatabase(async (client) => {
        const error = await applyMigrations(client, set, { to: 'latest' }).catch((e: unknown) => e)
        expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
        expect((error as Error).message).toBe(`to: no migration in ${dir} has version "latest"`)
      })
    })
  })
})
