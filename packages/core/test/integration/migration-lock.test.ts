import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { acquireMigrationLock } from '../../src/migrations/database/lock.js'
import { withScratchDatabase } from '../helpers/pg.js'
import { gooseSet, withTempDir } from '../helpers/migration-set.js'

describe('applyMigrations({ lock })', () => {
  it('should wait for the run holding the lock, then find nothing left to apply', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'users', up: ['CREATE TABLE users (id int);'] },
      ])
      await withScratchDatabase(async (holder, url) => {
        const lock = await acquireMigrationLock(holder, set)
        await applyMigrations(holder, set)
        const other = new pg.Client({ connectionString: url })
        await other.connect()
        try {
          const waits: string[] = []
          const run = applyMigrations(other, set, { lock: { onWait: (h) => waits.push(h) } })
          await new Promise((resolve) => setTimeout(resolve, 700))
          await lock.release()
          const result = await run
          expect(result).toMatchObject({ applied: [], currentVersion: '1', waitedForLock: true })
          expect(waits).toHaveLength(1)
          expect(waits[0]).toMatch(/^server pid \d+/)
          // Released when done: the holder can take it again at once.
          await (await acquireMigrationLock(holder, set, { timeoutMs: 0 })).release()
        } finally {
          await other.end()
        }
      })
    })
  })

  it('should give up after timeoutMs with MIGRATION_LOCK_TIMEOUT naming the holder', async () => {
    await withTempDir(async (dir) => {
      const set = gooseSet(dir, [
        { version: 1, name: 'users', up: ['CREATE TABLE users (id int);'] },
      ])
      await withScratchDatabase(async (holder, url) => {
        await holder.query(`SET application_name = 'deploy-42'`)
        await acquireMigrationLock(holder, set)
        const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
        const other = new pg.Client({ connectionString: url })
        await other.connect()
        try {
          await expect(
            applyMigrations(other, set, { lock: { timeoutMs: 600 } }),
          ).rejects.toMatchObject({
            code: 'MIGRATION_LOCK_TIMEOUT',
            message: expect.stringContaining(
              `another migration run still holds the goose migration lock (advisory lock 4097083626) on this database after 1 s: server pid ${rows[0]!.pid} (deploy-42)`,
            ),
          })
          const { rows: tables } = await other.query(`SELECT to_regclass('users') AS t`)
          expect(tables[0].t).toBeNull()
        } finally {
          await other.end()
        }
      })
    })
  })
})
