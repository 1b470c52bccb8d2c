import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isPgtestbedError, type PgtestbedError } from '../../src/errors.js'
import { startEmbeddedServer } from '../../src/servers/embedded/server.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import { gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { queryRows, TEST_SERVER_URL } from '../helpers/pg.js'
import { cleanupCacheDir, tempCacheDir } from '../helpers/servers.js'

const SLOW = `-- +goose Up
SELECT pg_sleep(60);
CREATE TABLE never (id int);

-- +goose Down
DROP TABLE never;
`

const projects: GooseProject[] = []
let cacheDir: string
beforeAll(() => {
  cacheDir = tempCacheDir()
})
afterAll(async () => {
  await closeAdminPools()
  await cleanupCacheDir(cacheDir)
  for (const p of projects) await p.cleanup().catch(() => {})
})

async function project(files: Record<string, string> = {}): Promise<GooseProject> {
  const p = await gooseProject({ migrations: 2, files })
  projects.push(p)
  return p
}

/** Waits until a backend of the server at `adminUrl` runs the slow migration; returns its pid. */
async function slowBackend(adminUrl: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const rows = await queryRows<{ pid: number }>(
      adminUrl,
      "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND query NOT LIKE '%pg_stat_activity%'",
    )
    if (rows[0]) return rows[0].pid
    await sleep(100)
  }
  throw new Error('the slow migration never started')
}

function expectServerLost(error: unknown): asserts error is PgtestbedError {
  expect(isPgtestbedError(error) && error.code, String(error)).toBe('SERVER_LOST')
  const e = error as PgtestbedError
  // Never blamed on the migration that happened to run.
  expect(e.fix).not.toMatch(/fix 00003|00003_slow\.sql/)
  expect(e.fix).toMatch(/nothing is wrong with your migrations/i)
}

describe('a server that goes away mid-build or mid-run', () => {
  test('should report kill -9 of the embedded server as SERVER_LOST naming its log, during a build and when cloning', async () => {
    const server = await startEmbeddedServer({ cacheDir })
    try {
      const ready = await startTestbed({
        server: 'embedded',
        cacheDir,
        cwd: (await project()).cwd,
        env: {},
        sweep: false,
      })
      const slow = await project({ '00003_slow.sql': SLOW })
      const building = startTestbed({
        server: 'embedded',
        cacheDir,
        cwd: slow.cwd,
        env: {},
        sweep: false,
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      await slowBackend(server.adminUrl)
      process.kill(server.pid, 'SIGKILL') // the postmaster pgtestbed recorded
      const error = await building
      expectServerLost(error)
      expect(error.message).toMatch(
        /^lost the PostgreSQL server at postgres@127\.0\.0\.1:\d+ while applying 00003_slow\.sql to build template pgtestbed_tpl_[0-9a-f]{32}: /,
      )
      expect(error.fix).toBe(
        `The embedded PostgreSQL server stopped: read its log ${server.logFile} and run \`pgtestbed server status\`; the next run starts it again. Nothing is wrong with your migrations.`,
      )

      const clone = await cloneDatabase(ready.info, { label: 'users.test.ts' }).catch(
        (e: unknown) => e,
      )
      expectServerLost(clone)
      expect(clone.message).toMatch(
        / while cloning template pgtestbed_tpl_[0-9a-f]{32} for users\.test\.ts: /,
      )
      expect(clone.fix).toContain(server.logFile)
      await ready.close().catch(() => {})
    } finally {
      await server.release().catch(() => {})
    }
  }, 120_000)

  test('should report an administrator ending the build session as SERVER_LOST, not APPLY_FAILED', async () => {
    const slow = await project({ '00003_slow.sql': SLOW })
    const building = startTestbed({
      server: 'url',
      url: TEST_SERVER_URL,
      cwd: slow.cwd,
      env: {},
      sweep: false,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const pid = await slowBackend(TEST_SERVER_URL)
    await queryRows(TEST_SERVER_URL, `SELECT pg_terminate_backend(${pid})`)
    const error = await building
    expectServerLost(error)
    expect(error.message).toMatch(
      /while applying 00003_slow\.sql to build template pgtestbed_tpl_[0-9a-f]{32}: an administrator or the server shut the session down \(57P01\)$/,
    )
    expect(error.fix).toMatch(
      /^Check that the PostgreSQL server at .* is running and look at its log/,
    )
  }, 120_000)
})
