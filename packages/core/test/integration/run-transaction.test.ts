import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { MigrationApplyError } from '../../src/migrations/database/apply-errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { withTempDir } from '../helpers/migration-set.js'
import { withScratchDatabase } from '../helpers/pg.js'

/** A drizzle-kit folder whose second migration fails on its second statement. */
async function drizzleProject(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'meta'))
  const entry = (idx: number, tag: string) => ({
    idx,
    version: '7',
    when: 1000 + idx,
    tag,
    breakpoints: true,
  })
  await writeFile(
    path.join(dir, 'meta', '_journal.json'),
    JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: [entry(0, '0000_init'), entry(1, '0001_bad')],
    }),
  )
  await writeFile(path.join(dir, '0000_init.sql'), 'CREATE TABLE "a" ("id" integer);')
  await writeFile(
    path.join(dir, '0001_bad.sql'),
    'CREATE TABLE "b" ("id" integer);--> statement-breakpoint\nINSERT INTO "a" ("x") VALUES (1);',
  )
}

/** What a failed run left: the tables of `public` and the rows of drizzle's table. */
async function leftovers(client: pg.Client) {
  const tables = await client.query<{ t: string }>(
    "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
  )
  const rows = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM drizzle.__drizzle_migrations',
  )
  return { tables: tables.rows.map((r) => r.t), recorded: Number(rows.rows[0]?.n) }
}

describe('one transaction per run (drizzle)', () => {
  it('should keep nothing when a later migration fails, exactly as drizzle-orm’s migrator does', async () => {
    await withTempDir(async (dir) => {
      await drizzleProject(dir)
      const set = await discoverMigrations({ migrations: dir, format: 'drizzle' })

      const ours = await withScratchDatabase(async (client) => {
        const error = await applyMigrations(client, set).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(MigrationApplyError)
        const failed = error as MigrationApplyError
        expect(failed.migration.version).toBe('0001_bad')
        expect(failed.message).toContain(
          'applied before it in this run, and undone with it: 0000_init',
        )
        expect(failed.message).toContain(
          "nothing of this run was kept: as drizzle's migrator does, every pending migration ran in one transaction, which was rolled back",
        )
        return leftovers(client)
      })

      const theirs = await withScratchDatabase(async (client) => {
        await expect(migrate(drizzle(client), { migrationsFolder: dir })).rejects.toThrow()
        return leftovers(client)
      })

      expect(ours).toEqual({ tables: [], recorded: 0 })
      expect(ours).toEqual(theirs)
    })
  })

  it('should commit the whole run when every migration applies', async () => {
    await withTempDir(async (dir) => {
      await drizzleProject(dir)
      await writeFile(path.join(dir, '0001_bad.sql'), 'CREATE TABLE "b" ("id" integer);')
      const set = await discoverMigrations({ migrations: dir, format: 'drizzle' })
      await withScratchDatabase(async (client) => {
        const result = await applyMigrations(client, set)
        expect(result.applied.map((a) => a.migration.version)).toEqual(['0000_init', '0001_bad'])
        expect(await leftovers(client)).toEqual({ tables: ['a', 'b'], recorded: 2 })
      })
    })
  })
})
