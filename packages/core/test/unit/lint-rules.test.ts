import { describe, expect, it } from 'vitest'
import { fixture, lintFixture, only, where } from '../helpers/lint.js'

describe('lint rules', () => {
  describe('drops', () => {
    it('should warn about DROP TABLE / DROP INDEX without IF EXISTS on objects of earlier migrations', async () => {
      const diagnostics = await lintFixture('drops')
      expect(where(diagnostics, 'LINT_DROP_WITHOUT_IF_EXISTS')).toEqual([
        '002_drop_things.sql:2',
        '002_drop_things.sql:3',
      ])
      const table = diagnostics.find((d) => d.code === 'LINT_DROP_WITHOUT_IF_EXISTS')!
      expect(table.severity).toBe('warning')
      expect(table.message).toContain('DROP TABLE audit has no IF EXISTS')
      expect(table.fix).toBe('write DROP TABLE IF EXISTS audit')
      expect(table.file).toBe(fixture('drops/002_drop_things.sql'))
    })

    it('should call dropping an existing table or column destructive, but not one created in the same migration', async () => {
      const diagnostics = await lintFixture('drops')
      // archived_events is not created by any migration, so it is assumed to hold data.
      expect(where(diagnostics, 'LINT_DROP_TABLE')).toEqual([
        '002_drop_things.sql:2',
        '003_drop_new_things.sql:7',
      ])
      expect(where(diagnostics, 'LINT_DROP_COLUMN')).toEqual(['002_drop_things.sql:4'])
      const column = only(diagnostics, 'LINT_DROP_COLUMN')
      expect(column.message).toContain('DROP COLUMN users.legacy deletes the column and its data')
      expect(column.fix).toContain('pgtestbed-lint-ignore LINT_DROP_COLUMN')
    })
  })

  describe('NOT NULL', () => {
    it('should fail ADD COLUMN … NOT NULL without a default on an existing or unknown table', async () => {
      const diagnostics = await lintFixture('not-null')
      expect(where(diagnostics, 'LINT_NOT_NULL_WITHOUT_DEFAULT')).toEqual([
        '002_add_columns.sql:2', // status text NOT NULL
        '002_add_columns.sql:6', // DEFAULT NULL is no default
        '003_new_table.sql:4', // legacy_accounts: not created by a migration
      ])
      const first = diagnostics.find((d) => d.code === 'LINT_NOT_NULL_WITHOUT_DEFAULT')!
      expect(first.severity).toBe('error')
      expect(first.message).toBe(
        'ADD COLUMN users.status text NOT NULL has no DEFAULT: it fails with "column "status" of relation "users" contains null values" as soon as users has a row (users existed before this migration)',
      )
      expect(first.fix).toContain('backfill it, and SET NOT NULL in a later migration')
    })

    it('should warn about SET NOT NULL on an existing table unless a validated IS NOT NULL check proves it', async () => {
      const diagnostics = await lintFixture('set-not-null')
      expect(where(diagnostics, 'LINT_SET_NOT_NULL')).toEqual(['002_email_required.sql:2'])
      const d = only(diagnostics, 'LINT_SET_NOT_NULL')
      expect(d.message).toContain('users.email SET NOT NULL scans all of users')
      expect(d.fix).toBe(
        'ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID; in a later migration VALIDATE CONSTRAINT users_email_not_null, then SET NOT NULL (PostgreSQL 12+ skips the scan) and DROP CONSTRAINT users_email_not_null',
      )
    })
  })

  describe('column types and constraints', () => {
    it('should warn about a rewriting ALTER COLUMN TYPE on an existing table only', async () => {
      const diagnostics = await lintFixture('alter-type')
      // varchar(50) → text needs no rewrite; pets is new in 003.
      expect(where(diagnostics, 'LINT_ALTER_COLUMN_TYPE')).toEqual(['002_change_types.sql:2'])
      expect(only(diagnostics, 'LINT_ALTER_COLUMN_TYPE').message).toContain(
        'ALTER COLUMN users.age TYPE bigint rewrites users',
      )
    })

    it('should warn about FOREIGN KEY and CHECK constraints added to an existing table without NOT VALID', async () => {
      const diagnostics = await lintFixture('constraints')
      expect(where(diagnostics, 'LINT_CONSTRAINT_WITHOUT_NOT_VALID')).toEqual([
        '002_add_constraints.sql:2',
        '002_add_constraints.sql:3',
      ])
      const [fk, check] = diagnostics.filter((d) => d.code === 'LINT_CONSTRAINT_WITHOUT_NOT_VALID')
      expect(fk!.message).toContain(
        'ADD CONSTRAINT orders_user_fk FOREIGN KEY on existing table orders',
      )
      expect(fk!.fix).toContain('ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk')
      expect(check!.message).toContain('orders_total_positive CHECK')
    })
  })

  describe('enums', () => {
    it('should warn about RENAME VALUE on an enum of an earlier migration', async () => {
      const diagnostics = await lintFixture('enum-rename')
      expect(where(diagnostics, 'LINT_ENUM_RENAME_VALUE')).toEqual(['002_rename_sad.sql:2'])
      expect(only(diagnostics, 'LINT_ENUM_RENAME_VALUE').message).toBe(
        "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy' breaks deployed code and queries that still use 'sad'",
      )
    })

    it('should fail the rename-recreate-convert pattern without a text cast, and name removed labels', async () => {
      const diagnostics = await lintFixture('enum-recreate')
      expect(where(diagnostics, 'LINT_ENUM_CAST_WITHOUT_TEXT')).toEqual([
        '002_drop_meh_badly.sql:4', // USING mood::mood
        '004_no_using.sql:4', // no USING at all
      ])
      const [direct, noUsing] = diagnostics.filter((d) => d.code === 'LINT_ENUM_CAST_WITHOUT_TEXT')
      expect(direct!.severity).toBe('error')
      expect(direct!.message).toContain('casts enum mood_old straight to enum mood')
      expect(direct!.fix).toBe(
        'cast through text: ALTER COLUMN mood TYPE mood USING mood::text::mood',
      )
      expect(noUsing!.message).toContain('has no USING')
      expect(where(diagnostics, 'LINT_ENUM_VALUE_REMOVED')).toEqual(['002_drop_meh_badly.sql:3'])
      expect(only(diagnostics, 'LINT_ENUM_VALUE_REMOVED').message).toContain(
        "CREATE TYPE mood replaces the enum now named mood_old without 'meh'",
      )
    })

    it('should accept a recreated enum without labels this migration moved every row off, and keep reporting partial moves', async () => {
      const diagnostics = await lintFixture('enum-vacate')
      // 002 and 003 move the rows first (before or after the rename); 004 moves only some of them.
      expect(where(diagnostics, 'LINT_ENUM_VALUE_REMOVED')).toEqual(['004_partial_move.sql:4'])
      expect(only(diagnostics, 'LINT_ENUM_VALUE_REMOVED').message).toContain("without 'bad'")
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    })

    it('should fail a label used in the transaction that added it, and accept it after a commit', async () => {
      // Without discovery's own (token-based) finding, lint reports every case itself.
      const diagnostics = await lintFixture('enum-add-use', {}, true)
      expect(where(diagnostics, 'LINT_ENUM_VALUE_USED_IN_TRANSACTION')).toEqual([
        '002_add_and_use.sql:3', // same goose transaction
        '004_one_query_string.sql:3', // NO TRANSACTION, but one query string
        '007_new_type_same_tx.sql:4', // even when the enum was created in that transaction
      ])
      const [inMigration, inString] = diagnostics.filter(
        (d) => d.code === 'LINT_ENUM_VALUE_USED_IN_TRANSACTION',
      )
      expect(inMigration!.severity).toBe('error')
      expect(inMigration!.message).toContain(
        "'running' is used here, but it was added to enum status (002_add_and_use.sql:2)",
      )
      expect(inMigration!.related).toEqual([
        { file: fixture('enum-add-use/002_add_and_use.sql'), line: 2 },
      ])
      expect(inMigration!.fix).toContain('-- +goose NO TRANSACTION')
      expect(inString!.fix).toContain('a statement (a query string) of its own')
    })
  })

  describe('indexes and transactions', () => {
    it('should warn about CREATE INDEX without CONCURRENTLY on an existing table, naming the opt-out', async () => {
      const diagnostics = await lintFixture('indexes', {}, true)
      expect(where(diagnostics, 'LINT_INDEX_NOT_CONCURRENT')).toEqual(['002_index_existing.sql:2'])
      const d = only(diagnostics, 'LINT_INDEX_NOT_CONCURRENT')
      expect(d.message).toContain('CREATE UNIQUE INDEX users_email_idx on existing table users')
      expect(d.fix).toContain('-- +goose NO TRANSACTION')
    })

    it('should fail CONCURRENTLY inside a transaction or a shared query string', async () => {
      const diagnostics = await lintFixture('indexes', {}, true)
      expect(where(diagnostics, 'LINT_CANNOT_RUN_IN_TRANSACTION')).toEqual([
        '004_concurrently_in_tx.sql:2',
        '005_shared_query_string.sql:3',
      ])
      const [tx, shared] = diagnostics.filter((d) => d.code === 'LINT_CANNOT_RUN_IN_TRANSACTION')
      expect(tx!.severity).toBe('error')
      expect(tx!.message).toBe(
        'CREATE INDEX CONCURRENTLY cannot run inside a transaction block (SQLSTATE 25001), but here it does: goose runs this migration in a transaction',
      )
      expect(shared!.message).toContain('it shares one query string with other commands')
    })

    it('should not repeat what discovery already reported about the same statement', async () => {
      const diagnostics = await lintFixture('indexes')
      expect(where(diagnostics, 'LINT_CANNOT_RUN_IN_TRANSACTION')).toEqual([])
      const enums = await lintFixture('enum-add-use')
      // Discovery's ENUM_VALUE_IN_TRANSACTION (an error) already names 002, 004 and 007.
      expect(where(enums, 'LINT_ENUM_VALUE_USED_IN_TRANSACTION')).toEqual([])
    })

    it('should check Down sections for commands that cannot run in their transaction', async () => {
      const diagnostics = await lintFixture('down', {}, true)
      expect(where(diagnostics, 'LINT_CANNOT_RUN_IN_TRANSACTION')).toEqual([
        '004_concurrent_down.sql:5',
      ])
      expect(only(diagnostics, 'LINT_CANNOT_RUN_IN_TRANSACTION').message).toContain(
        'DROP INDEX CONCURRENTLY',
      )
    })
  })

  describe('lock timeout', () => {
    it('should warn once per migration about a heavy lock before any SET lock_timeout', async () => {
      const diagnostics = await lintFixture('lock-timeout')
      // 001 only touches its own new table; 003/004 set a timeout first; 005 only validates.
      expect(where(diagnostics, 'LINT_LOCK_TIMEOUT_MISSING')).toEqual([
        '002_two_alters.sql:2',
        '006_timeout_after.sql:2',
      ])
      const [alter, trigger] = diagnostics.filter((d) => d.code === 'LINT_LOCK_TIMEOUT_MISSING')
      expect(alter!.message).toContain(
        'ALTER TABLE users locks existing table users in ACCESS EXCLUSIVE mode (reads and writes wait)',
      )
      expect(alter!.fix).toContain("SET lock_timeout = '5s'")
      expect(trigger!.message).toContain(
        'CREATE TRIGGER locks existing table users in SHARE ROW EXCLUSIVE mode',
      )
    })
  })

  describe('empty Down', () => {
    it('should warn about an empty Down section unless a reason is given (the only place it is reported)', async () => {
      const diagnostics = await lintFixture('down')
      expect(where(diagnostics, 'LINT_EMPTY_DOWN')).toEqual(['002_empty_down.sql:4'])
      expect(only(diagnostics, 'LINT_EMPTY_DOWN').message).toBe(
        'the Down section of 002_empty_down.sql is empty: rolling back version 2 records the rollback but undoes nothing',
      )
    })
  })
})
