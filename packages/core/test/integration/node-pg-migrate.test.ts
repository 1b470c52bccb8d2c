// node-pg-migrate's version table and order check, as read in its source (runner.ts,
// migration.ts). examples/recipes runs the real node-pg-migrate against the same folder and
// compares the rows.
import { cp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { rollbackMigrations } from '../../src/migrations/database/rollback.js'
import { getMigrationStatus } from '../../src/migrations/database/status.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { col, describeTable, rejection } from '../helpers/catalog.js'
import { withTempDir } from '../helpers/migration-set.js'
import { publicTables, withScratchDatabase } from '../helpers/pg.js'

const BASIC = fileURLToPath(new URL('../fixtures/node-pg-migrate/basic', import.meta.url))

describe('node-pg-migrate', () => {
  it('should create pgmigrations as node-pg-migrate does and record each name in order', async () => {
    const set = await discoverMigrations({ migrations: BASIC })
    await withScratchDatabase(async (client, url) => {
      const result = await applyMigrations(client, set)
      expect(result.versionTable).toBe('public.pgmigrations')
      expect(await describeTable(client, 'public.pgmigrations')).toEqual({
        columns: [
          col('id', 'integer', true, "nextval('pgmigrations_id_seq'::regclass)"),
          col('name', 'character varying(255)', true),
          col('run_on', 'timestamp without time zone', true),
        ],
        constraints: ['pgmigrations_pkey PRIMARY KEY (id)'],
      })
      const rows = await client.query<{ id: number; name: string }>(
        'SELECT id, name FROM pgmigrations ORDER BY run_on, id',
      )
      expect(rows.rows).toEqual([
        { id: 1, name: '1700000000000_create-users' },
        { id: 2, name: '20231115000000000_add-posts' },
        { id: 3, name: '1700006400001_tags' },
        { id: 4, name: '1700006500000_seed-roles' },
      ])
      expect(await publicTables(url)).toEqual(['pgmigrations', 'posts', 'tags', 'users'])
    })
  })

  it("should refuse a file that sorts before an applied one with node-pg-migrate's message, unless allowMissing", async () => {
    await withTempDir(async (dir) => {
      const migrations = path.join(dir, 'migrations')
      await cp(BASIC, migrations, { recursive: true })
      await withScratchDatabase(async (client) => {
        await applyMigrations(client, await discoverMigrations({ migrations }))
        await writeFile(
          path.join(migrations, '1700000000500_late.sql'),
          '-- Up Migration\nCREATE TABLE late (id int);\n-- Down Migration\nDROP TABLE late;\n',
        )
        const set = await discoverMigrations({ migrations })
        expect((await getMigrationStatus(client, set)).missing.map((m) => m.version)).toEqual([
          '1700000000500_late',
        ])
        const error = await rejection(applyMigrations(client, set))
        expect(error.code).toBe('VERSION_TABLE_CONFLICT')
        expect(error.message).toContain(
          '"Not run migration 1700000000500_late is preceding already run migration 20231115000000000_add-posts"',
        )
        expect(error.fix).toContain('--no-check-order')
        const result = await applyMigrations(client, set, { allowMissing: true })
        expect(result.applied.map((a) => a.migration.version)).toEqual(['1700000000500_late'])
      })
    })
  })

  it('should roll back in reverse run order, and refuse a migration without a Down section', async () => {
    const set = await discoverMigrations({ migrations: BASIC })
    await withScratchDatabase(async (client, url) => {
      await applyMigrations(client, set)
      const refused = await rejection(rollbackMigrations(client, set))
      expect(refused.code).toBe('ROLLBACK_UNSUPPORTED')
      expect(refused.message).toContain('1700006500000_seed-roles.sql')
      expect(refused.fix).toContain('User has disabled down migration')

      await client.query(`DELETE FROM pgmigrations WHERE name = '1700006500000_seed-roles'`)
      const result = await rollbackMigrations(client, set, { steps: 2 })
      expect(result.rolledBack.map((r) => r.migration.version)).toEqual([
        '1700006400001_tags',
        '20231115000000000_add-posts',
      ])
      expect(await publicTables(url)).toEqual(['pgmigrations', 'users'])
      const names = await client.query<{ name: string }>('SELECT name FROM pgmigrations')
      expect(names.rows.map((r) => r.name)).toEqual(['1700000000000_create-users'])
    })
  })
})
