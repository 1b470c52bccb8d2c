import { describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { lintMigrations } from '../../src/lint/run.js'
import type { Migration, MigrationSet } from '../../src/migrations/types.js'
import { discoverFixture, fixture, lintFixture, only, where } from '../helpers/lint.js'

describe('lintMigrations', () => {
  describe('suppression comments', () => {
    it('should silence one rule on one command when the comment gives a reason', async () => {
      const diagnostics = await lintFixture('suppress')
      // legacy (line 4): silenced from the line above; id TYPE (line 7-9): silenced from inside.
      expect(where(diagnostics, 'LINT_DROP_COLUMN')).toEqual([
        '002_cleanup.sql:6',
        '002_cleanup.sql:11',
      ])
      expect(where(diagnostics, 'LINT_ALTER_COLUMN_TYPE')).toEqual([])
    })

    it('should ignore and report a suppression without a reason', async () => {
      const diagnostics = await lintFixture('suppress')
      const invalid = diagnostics.filter((d) => d.code === 'LINT_SUPPRESSION_INVALID')
      expect(invalid.map((d) => d.line)).toEqual([5, 10])
      expect(invalid[0]!.severity).toBe('warning')
      expect(invalid[0]!.message).toBe(
        'pgtestbed-lint-ignore LINT_DROP_COLUMN gives no reason, so it silences nothing',
      )
      expect(invalid[0]!.fix).toBe(
        'write why it is safe after a colon: -- pgtestbed-lint-ignore LINT_DROP_COLUMN: <why this is safe>',
      )
    })

    it('should report a suppression naming an unknown code, and not silence anything with it', async () => {
      const diagnostics = await lintFixture('suppress')
      const unknown = diagnostics.find(
        (d) => d.code === 'LINT_SUPPRESSION_INVALID' && d.line === 10,
      )!
      expect(unknown.message).toBe(
        'pgtestbed-lint-ignore names LINT_DROP_COLUM, which is not a lint rule, so it silences nothing',
      )
      expect(where(diagnostics, 'LINT_DROP_COLUMN')).toContain('002_cleanup.sql:11')
    })

    it('should not reach across a blank line', async () => {
      const diagnostics = await lintFixture('suppress')
      expect(where(diagnostics, 'LINT_NOT_NULL_WITHOUT_DEFAULT')).toEqual(['002_cleanup.sql:14'])
    })

    it('should let a reasoned comment in an empty Down section silence LINT_EMPTY_DOWN', async () => {
      const diagnostics = await lintFixture('down', {}, true)
      expect(where(diagnostics, 'LINT_EMPTY_DOWN')).toEqual(['002_empty_down.sql:4'])
    })
  })

  describe('severities', () => {
    it('should apply per-rule severities and turn rules off', async () => {
      const diagnostics = await lintFixture('drops', {
        rules: {
          LINT_DROP_TABLE: 'error',
          LINT_DROP_COLUMN: 'off',
          LINT_LOCK_TIMEOUT_MISSING: 'off',
        },
      })
      expect(
        diagnostics.filter((d) => d.code === 'LINT_DROP_TABLE').map((d) => d.severity),
      ).toEqual(['error', 'error'])
      expect(where(diagnostics, 'LINT_DROP_COLUMN')).toEqual([])
      expect(where(diagnostics, 'LINT_LOCK_TIMEOUT_MISSING')).toEqual([])
      expect(where(diagnostics, 'LINT_DROP_WITHOUT_IF_EXISTS')).toHaveLength(2)
    })

    it('should downgrade an error rule to a warning', async () => {
      const diagnostics = await lintFixture('not-null', {
        rules: { LINT_NOT_NULL_WITHOUT_DEFAULT: 'warning' },
      })
      expect(diagnostics.some((d) => d.severity === 'error')).toBe(false)
      expect(where(diagnostics, 'LINT_NOT_NULL_WITHOUT_DEFAULT')).toHaveLength(3)
    })

    it('should reject an unknown rule or setting with INVALID_OPTIONS naming the accepted values', async () => {
      const set = await discoverFixture('drops')
      const unknown = await lintMigrations(set, { rules: { LINT_NOPE: 'off' } as never }).catch(
        (e: unknown) => e,
      )
      expect(isPgtestbedError(unknown) && unknown.code).toBe('INVALID_OPTIONS')
      expect((unknown as Error).message).toContain(
        'rules.LINT_NOPE is not a lint rule; known rules: LINT_PARSE_FAILED,',
      )
      const bad = await lintMigrations(set, { rules: { LINT_DROP_TABLE: 'fatal' } as never }).catch(
        (e: unknown) => e,
      )
      expect(isPgtestbedError(bad) && bad.code).toBe('INVALID_OPTIONS')
      expect((bad as Error).message).toBe(
        `rules.LINT_DROP_TABLE is "fatal"; accepted values: 'error', 'warning', 'off'`,
      )
    })
  })

  describe('lines', () => {
    it('should report each command of a multi-command statement on its own line', async () => {
      const diagnostics = await lintFixture('lines')
      expect(where(diagnostics, 'LINT_NOT_NULL_WITHOUT_DEFAULT')).toEqual([
        '002_block.sql:4', // second command of a StatementBegin/End block
        '002_block.sql:7', // second command on one line
        '003_unicode.sql:5', // after multi-byte UTF-8 text in the same statement
      ])
    })

    it('should map drizzle chunks that start with blank lines to the right line', async () => {
      const diagnostics = await lintFixture('drizzle')
      expect(where(diagnostics, 'LINT_INDEX_NOT_CONCURRENT')).toEqual(['0001_index.sql:4'])
      expect(only(diagnostics, 'LINT_INDEX_NOT_CONCURRENT').fix).toContain(
        'drizzle-kit runs every pending migration in one transaction',
      )
      // 0000 creates users: indexing it there is not reported.
      expect(diagnostics.filter((d) => d.file === fixture('drizzle/0000_init.sql'))).toEqual([])
    })
  })

  describe('golang-migrate and dbmate', () => {
    it('should map lines in a golang-migrate file that starts with blank lines, and name its opt-out', async () => {
      const diagnostics = await lintFixture('golang-migrate', {}, true)
      expect(diagnostics.map((d) => `${d.code}@${d.line}`)).toEqual([
        'LINT_ENUM_VALUE_USED_IN_TRANSACTION@5',
        'LINT_CANNOT_RUN_IN_TRANSACTION@6',
      ])
      expect(diagnostics[0]!.fix).toBe(
        'use the label in a later migration file (golang-migrate sends a file as one query string, one transaction)',
      )
      expect(diagnostics[1]!.message).toContain('it shares one query string with other commands')
      expect(diagnostics[1]!.fix).toContain('an .up.sql file of its own')
    })

    it('should treat a dbmate transaction:false section as one query string', async () => {
      const diagnostics = await lintFixture('dbmate', {}, true)
      expect(where(diagnostics, 'LINT_NOT_NULL_WITHOUT_DEFAULT')).toEqual([
        '20240102000000_add_email.sql:3',
      ])
      expect(only(diagnostics, 'LINT_CANNOT_RUN_IN_TRANSACTION').fix).toBe(
        'put the command alone in a migration whose section starts `-- migrate:up transaction:false` (dbmate sends a section as one query string)',
      )
    })
  })

  describe('unparsable SQL', () => {
    it('should fail with PostgreSQL’s message at the line of the error and lint the rest', async () => {
      const diagnostics = await lintFixture('parse')
      const failed = diagnostics.filter((d) => d.code === 'LINT_PARSE_FAILED')
      expect(failed.map((d) => d.line)).toEqual([2, 5])
      expect(failed.map((d) => d.severity)).toEqual(['error', 'error'])
      expect(failed[0]!.message).toContain('(syntax error at or near "ENGINE")')
      expect(failed[1]!.message).toContain('(syntax error at or near ",")')
      // The statement after the broken ones is still linted.
      expect(where(diagnostics, 'LINT_NOT_NULL_WITHOUT_DEFAULT')).toEqual(['001_mysql.sql:8'])
    })
  })

  describe('existing and new tables', () => {
    it('should follow renames, schemas, drops, re-creates and IF NOT EXISTS across migrations', async () => {
      const diagnostics = await lintFixture('existing')
      expect(where(diagnostics, 'LINT_INDEX_NOT_CONCURRENT')).toEqual([
        '002_renames.sql:4', // accounts (001) renamed to customers: existing
        '002_renames.sql:8', // app.users from 001
        '002_renames.sql:11', // never created by a migration: assumed existing
        '003_recreate.sql:6', // customers, still from 001
        '003_recreate.sql:8', // CREATE TABLE IF NOT EXISTS customers did not make it new
      ])
      // notes (created and renamed in 002), app.items (002), notes re-created in 003: all new.
      const messages = diagnostics.map((d) => d.message).join('\n')
      expect(messages).not.toContain('notes_id_idx')
      expect(messages).not.toContain('app_items_id_idx')
      expect(messages).not.toContain('notes_body_idx')
      expect(where(diagnostics, 'LINT_DROP_TABLE')).toEqual(['003_recreate.sql:3'])
    })
  })

  describe('sets built by hand', () => {
    it('should lint a set whose files are not on disk, from the statements alone', async () => {
      const file = '/nonexistent/001_add.sql'
      const migration: Migration = {
        format: 'goose',
        index: 0,
        version: '1',
        versionNumber: 1n,
        description: 'add',
        files: [file],
        up: {
          file,
          line: 1,
          transaction: true,
          statements: [
            { sql: '', line: 2, endLine: 2 },
            {
              sql: 'SET lock_timeout = 1000;\nALTER TABLE t ADD COLUMN c int NOT NULL;',
              line: 3,
              endLine: 4,
            },
          ],
        },
        down: null,
        record: { format: 'goose', versionId: 1n },
      }
      const set: MigrationSet = {
        dir: '/nonexistent',
        format: 'goose',
        migrations: [migration],
        files: [file],
        versionTable: { table: 'goose_db_version' },
        diagnostics: [],
      }
      const diagnostics = await lintMigrations(set)
      expect(diagnostics.map((d) => `${d.code}:${d.line}`)).toEqual([
        'LINT_NOT_NULL_WITHOUT_DEFAULT:4',
      ])
    })
  })
})
