import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { MigrationApplyError } from '../../src/migrations/database/apply-errors.js'
import { col, describeTable, rejection } from '../helpers/catalog.js'
import { withScratchDatabase } from '../helpers/pg.js'
import {
  dbmateSet,
  drizzleHash,
  drizzleSet,
  golangMigrateSet,
  gooseSet,
  withTempDir,
} from '../helpers/migration-set.js'

describe('version tables', () => {
  describe('goose', () => {
    it('should create goose_db_version with the v3.22+ schema and a version-0 row', async () => {
      await withTempDir(async (dir) => {
        const set = gooseSet(dir, [
          { version: 20240101120000, name: 'a', up: ['CREATE TABLE a (id int);'] },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, set)
          expect(await describeTable(client, 'goose_db_version')).toEqual({
            columns: [
              col('id', 'integer', true, null, 'd'),
              col('version_id', 'bigint', true),
              col('is_applied', 'boolean', true),
              col('tstamp', 'timestamp without time zone', true, 'now()'),
            ],
            constraints: ['goose_db_version_pkey PRIMARY KEY (id)'],
          })
          const rows = await client.query(
            'SELECT id, version_id::text AS v, is_applied, tstamp IS NOT NULL AS stamped FROM goose_db_version ORDER BY id',
          )
          expect(rows.rows).toEqual([
            { id: 1, v: '0', is_applied: true, stamped: true },
            { id: 2, v: '20240101120000', is_applied: true, stamped: true },
          ])
        })
      })
    })

    it('should continue a table written by goose < 3.22 and apply only the new versions', async () => {
      await withTempDir(async (dir) => {
        const set = gooseSet(dir, [
          { version: 1, name: 'a', up: ['CREATE TABLE a (id int);'] },
          { version: 2, name: 'b', up: ['CREATE TABLE b (id int);'] },
          { version: 3, name: 'c', up: ['CREATE TABLE c (id int);'] },
        ])
        await withScratchDatabase(async (client) => {
          // goose before v3.22: serial id, nullable tstamp; rows as goose wrote them (one without a stamp).
          await client.query(`CREATE TABLE goose_db_version (
              id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL,
              tstamp timestamp NULL default now(), PRIMARY KEY(id));
            INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true);
            INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (2, true, NULL);
            CREATE TABLE a (id int); CREATE TABLE b (id int);`)
          const result = await applyMigrations(client, set)
          expect(result.applied.map((a) => a.migration.version)).toEqual(['3'])
          expect(result.currentVersion).toBe('3')
          const rows = await client.query(
            'SELECT id, version_id::text AS v FROM goose_db_version ORDER BY id',
          )
          expect(rows.rows).toEqual([
            { id: 1, v: '0' },
            { id: 2, v: '1' },
            { id: 3, v: '2' },
            { id: 4, v: '3' },
          ])
        })
      })
    })

    it("should refuse missing (out-of-order) versions with goose's message, and apply them with allowMissing", async () => {
      await withTempDir(async (dir) => {
        const set = gooseSet(dir, [
          { version: 1, name: 'a', up: ['CREATE TABLE a (id int);'] },
          { version: 2, name: 'b', up: ['CREATE TABLE b (id int);'] },
          { version: 3, name: 'c', up: ['CREATE TABLE c (id int);'] },
          { version: 4, name: 'd', up: ['CREATE TABLE d (id int);'] },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, {
            ...set,
            migrations: [set.migrations[0]!, set.migrations[2]!],
          })
          const error = await rejection(applyMigrations(client, set))
          expect(error.code).toBe('VERSION_TABLE_CONFLICT')
          expect(error.message).toBe(
            'found 1 missing (out-of-order) migration lower than current database max version (3) in goose_db_version: version 2\n\tversion 2: 00002_b.sql',
          )
          expect(error.fix).toBe(
            'apply them out of order with allowMissing: true (goose up -allow-missing), or renumber this file above version 3',
          )
          const result = await applyMigrations(client, set, { allowMissing: true })
          expect(result.applied.map((a) => a.migration.version)).toEqual(['2', '4'])
          const rows = await client.query(
            'SELECT version_id::text AS v FROM goose_db_version ORDER BY id',
          )
          expect(rows.rows.map((r) => r.v)).toEqual(['0', '1', '3', '2', '4'])
        })
      })
    })

    it('should honour a configured schema and table name, quoted', async () => {
      await withTempDir(async (dir) => {
        const set = gooseSet(dir, [{ version: 1, name: 'a', up: ['CREATE TABLE a (id int);'] }], {
          schema: 'Audit Log',
          table: 'goose "versions"',
        })
        await withScratchDatabase(async (client) => {
          const missing = await rejection(applyMigrations(client, set))
          expect(missing.code).toBe('APPLY_FAILED')
          expect(missing.message).toBe(
            'failed to create the goose version table Audit Log.goose "versions": schema "Audit Log" does not exist',
          )
          expect(missing.fix).toBe(
            'create schema Audit Log first (goose does not create it), or configure another schema',
          )
          await client.query('CREATE SCHEMA "Audit Log"')
          const result = await applyMigrations(client, set)
          expect(result.versionTable).toBe('Audit Log.goose "versions"')
          const rows = await client.query(
            'SELECT version_id::text AS v FROM "Audit Log"."goose ""versions""" ORDER BY id',
          )
          expect(rows.rows.map((r) => r.v)).toEqual(['0', '1'])
        })
      })
    })
  })

  describe('golang-migrate', () => {
    it('should keep exactly one clean row in schema_migrations(version, dirty)', async () => {
      await withTempDir(async (dir) => {
        const set = golangMigrateSet(dir, [
          { version: 1, name: 'a', up: 'CREATE TABLE a (id int);\nCREATE TABLE a2 (id int);\n' },
          { version: 2, name: 'b', up: 'CREATE TABLE b (id int);\n' },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, set)
          expect(await describeTable(client, 'schema_migrations')).toEqual({
            columns: [col('version', 'bigint', true), col('dirty', 'boolean', true)],
            constraints: ['schema_migrations_pkey PRIMARY KEY (version)'],
          })
          const rows = await client.query(
            'SELECT version::text AS version, dirty FROM schema_migrations',
          )
          expect(rows.rows).toEqual([{ version: '2', dirty: false }])
        })
      })
    })

    it('should leave the failed version dirty, and then refuse like golang-migrate with a force fix', async () => {
      await withTempDir(async (dir) => {
        const set = golangMigrateSet(dir, [
          { version: 1, name: 'a', up: 'CREATE TABLE a (id int);\n' },
          {
            version: 2,
            name: 'b',
            up: "-- b\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1), (2), ('x');\n",
          },
        ])
        await withScratchDatabase(async (client) => {
          const failed = await rejection(applyMigrations(client, set))
          expect(failed).toBeInstanceOf(MigrationApplyError)
          const error = failed as MigrationApplyError
          expect(error.statementNumber).toBe(1)
          expect(error.statementLine).toBe(1)
          expect(error.errorLine).toBe(3)
          expect(error.postgres.code).toBe('22P02')
          expect(error.message).toContain(
            'failed to apply migration 2_b.up.sql (version 2): statement 1 (line 1) failed at line 3',
          )
          expect(error.message).toContain('schema_migrations now marks the version dirty')
          const rows = await client.query(
            'SELECT version::text AS version, dirty FROM schema_migrations',
          )
          expect(rows.rows).toEqual([{ version: '2', dirty: true }])
          // The whole file was one implicit transaction: nothing of it stays.
          const b = await client.query("SELECT to_regclass('b') AS r")
          expect(b.rows[0].r).toBeNull()

          const refused = await rejection(applyMigrations(client, set))
          expect(refused.code).toBe('VERSION_TABLE_CONFLICT')
          expect(refused.message).toContain(
            'cannot migrate up: schema_migrations says version 2 is dirty: a run of migration 2 (2_b.up.sql) failed part-way',
          )
          expect(refused.message).toContain('"Dirty database version 2. Fix and force version."')
          expect(refused.fix).toContain(
            `\`migrate -path ${dir} -database <url> force 2\` if it is now complete, or \`force 1\``,
          )
        })
      })
    })

    it('should run a file holding only CREATE INDEX CONCURRENTLY, as golang-migrate can', async () => {
      await withTempDir(async (dir) => {
        const set = golangMigrateSet(dir, [
          { version: 1, name: 't', up: 'CREATE TABLE t (id int);' },
          {
            version: 2,
            name: 'idx',
            up: 'CREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n-- trailing comment\n',
          },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, set)
          const rows = await client.query(
            "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 't_id_idx'::regclass",
          )
          expect(rows.rows).toEqual([{ valid: true }])
        })
      })
    })

    it('should refuse a current version that has no migration file', async () => {
      await withTempDir(async (dir) => {
        const set = golangMigrateSet(dir, [{ version: 1, name: 'a', up: 'SELECT 1;' }])
        await withScratchDatabase(async (client) => {
          await client.query(
            'CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (9, false)',
          )
          const error = await rejection(applyMigrations(client, set))
          expect(error.code).toBe('VERSION_TABLE_CONFLICT')
          expect(error.message).toBe(
            `cannot migrate up: schema_migrations records version 9, but no migration file in ${dir} has that version (golang-migrate: "no migration found for version 9")`,
          )
        })
      })
    })
  })

  describe('dbmate', () => {
    it('should create schema_migrations(version varchar primary key) in a schema it creates, and record version strings', async () => {
      await withTempDir(async (dir) => {
        const set = dbmateSet(
          dir,
          [
            { version: '20240101000000', name: 'a', up: 'create table a (id int);\n' },
            { version: '20240102000000', name: 'b', up: 'create table b (id int);\n' },
          ],
          { schema: 'Migr "Ations"', table: 'schema_migrations' },
        )
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, set)
          expect(await describeTable(client, '"Migr ""Ations"""."schema_migrations"')).toEqual({
            columns: [col('version', 'character varying', true)],
            constraints: ['schema_migrations_pkey PRIMARY KEY (version)'],
          })
          const rows = await client.query(
            'SELECT version FROM "Migr ""Ations""".schema_migrations ORDER BY version',
          )
          expect(rows.rows.map((r) => r.version)).toEqual(['20240101000000', '20240102000000'])
        })
      })
    })

    it('should apply an older file that never ran (dbmate allows out of order) and run transaction:false blocks in autocommit', async () => {
      await withTempDir(async (dir) => {
        const set = dbmateSet(dir, [
          { version: '001', name: 'a', up: 'create table a (id int);' },
          { version: '002', name: 'b', up: 'create table b (id int);' },
          {
            version: '003',
            name: 'idx',
            up: 'create index concurrently a_id on a (id);',
            transaction: false,
          },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, {
            ...set,
            migrations: [set.migrations[0]!, set.migrations[2]!],
          })
          const result = await applyMigrations(client, set)
          expect(result.applied.map((a) => a.migration.version)).toEqual(['002'])
          const rows = await client.query('SELECT version FROM schema_migrations ORDER BY version')
          expect(rows.rows.map((r) => r.version)).toEqual(['001', '002', '003'])
        })
      })
    })
  })

  describe('drizzle', () => {
    it('should create drizzle.__drizzle_migrations(id, hash, created_at) and record the file hash and journal when', async () => {
      await withTempDir(async (dir) => {
        const set = drizzleSet(dir, [
          {
            tag: '0000_first',
            when: 1700000000000,
            statements: [
              'CREATE TABLE "t" (\n\t"id" serial PRIMARY KEY NOT NULL\n);',
              'CREATE INDEX "i" ON "t" ("id");',
            ],
          },
          {
            tag: '0001_second',
            when: 1700000100000,
            statements: ['ALTER TABLE "t" ADD COLUMN "name" text;'],
          },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, set)
          expect(await describeTable(client, 'drizzle.__drizzle_migrations')).toEqual({
            columns: [
              col(
                'id',
                'integer',
                true,
                "nextval('drizzle.__drizzle_migrations_id_seq'::regclass)",
              ),
              col('hash', 'text', true),
              col('created_at', 'bigint', false),
            ],
            constraints: ['__drizzle_migrations_pkey PRIMARY KEY (id)'],
          })
          const rows = await client.query(
            'SELECT id, hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations ORDER BY id',
          )
          expect(rows.rows).toEqual([
            {
              id: 1,
              hash: drizzleHash(readFileSync(`${dir}/0000_first.sql`, 'utf8')),
              created_at: '1700000000000',
            },
            {
              id: 2,
              hash: drizzleHash(readFileSync(`${dir}/0001_second.sql`, 'utf8')),
              created_at: '1700000100000',
            },
          ])
          expect(rows.rows[0].hash).toMatch(/^[0-9a-f]{64}$/)
        })
      })
    })

    it('should add the v1 name and applied_at columns for the folder layout', async () => {
      await withTempDir(async (dir) => {
        const set = drizzleSet(
          dir,
          [
            {
              tag: '20240102030405_init',
              when: Date.UTC(2024, 0, 2, 3, 4, 5),
              statements: ['CREATE TABLE "u" ("id" integer);'],
            },
          ],
          'folders',
        )
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, set)
          const { columns } = await describeTable(client, 'drizzle.__drizzle_migrations')
          expect(columns.slice(3)).toEqual([
            col('name', 'text', false),
            col('applied_at', 'timestamp with time zone', false, 'now()'),
          ])
          const rows = await client.query(
            'SELECT name, created_at::text AS c, applied_at IS NOT NULL AS stamped FROM drizzle.__drizzle_migrations',
          )
          expect(rows.rows).toEqual([
            {
              name: '20240102030405_init',
              c: String(Date.UTC(2024, 0, 2, 3, 4, 5)),
              stamped: true,
            },
          ])
        })
      })
    })

    it('should refuse a journal entry drizzle would skip forever (older than the newest row), unless allowMissing', async () => {
      await withTempDir(async (dir) => {
        const set = drizzleSet(dir, [
          { tag: '0000_a', when: 1000, statements: ['CREATE TABLE a (id int);'] },
          { tag: '0001_b', when: 2000, statements: ['CREATE TABLE b (id int);'] },
          { tag: '0002_c', when: 3000, statements: ['CREATE TABLE c (id int);'] },
        ])
        await withScratchDatabase(async (client) => {
          await applyMigrations(client, {
            ...set,
            migrations: [set.migrations[0]!, set.migrations[2]!],
          })
          const error = await rejection(applyMigrations(client, set))
          expect(error.code).toBe('VERSION_TABLE_CONFLICT')
          expect(error.message).toBe(
            `found 1 journal entry in ${dir}/meta/_journal.json that was never applied but is dated at or before the newest migration in drizzle.__drizzle_migrations (created_at 3000); drizzle-orm's migrator would skip it silently and forever:\n\t0001_b (when 2000)`,
          )
          const result = await applyMigrations(client, set, { allowMissing: true })
          expect(result.applied.map((a) => a.migration.version)).toEqual(['0001_b'])
        })
      })
    })

    it('should refuse v1 folders against a table written by drizzle 0.x', async () => {
      await withTempDir(async (dir) => {
        const set = drizzleSet(
          dir,
          [{ tag: '20240102030405_init', when: 1704164645000, statements: ['SELECT 1;'] }],
          'folders',
        )
        await withScratchDatabase(async (client) => {
          await client.query(
            'CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)',
          )
          const error = await rejection(applyMigrations(client, set))
          expect(error.code).toBe('VERSION_TABLE_CONFLICT')
          expect(error.message).toBe(
            `drizzle.__drizzle_migrations was written by drizzle-orm 0.x (it has no name column), but ${dir} uses the drizzle v1 folder-per-migration layout`,
          )
        })
      })
    })
  })
})
