import { execSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { resolveServer } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import {
  eventually,
  memoryFoldersOf,
  processesMentioning,
  readReports,
  removeCacheDir,
  runVitest,
  tempCacheDir,
  withClient,
} from './helpers.js'

const { defer, fixture, reportDir } = useCleanups()

/** A cache folder for this test's embedded server, removed (server killed) afterwards. */
function cacheDir(): string {
  const dir = tempCacheDir()
  defer(() => removeCacheDir(dir))
  return dir
}

/**
 * Starts the cache folder's embedded server again and lists the clones it holds; `memory` says
 * whether its data is in memory.
 */
async function clonesIn(dir: string): Promise<{ clones: string[]; memory: boolean }> {
  const server = await resolveServer({ server: 'embedded', cacheDir: dir })
  try {
    const clones = await withClient(server.adminUrl, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        "SELECT datname AS name FROM pg_database WHERE datname LIKE 'pgtestbed\\_c\\_%' ORDER BY 1",
      )
      return rows.map((r) => r.name)
    })
    return { clones, memory: server.storage.medium === 'memory' }
  } finally {
    await server.release()
  }
}

describe('the default embedded server (no PGTESTBED_URL)', () => {
  test('should start it, give every file its own database, then drop them and stop it', async () => {
    const project = fixture('happy')
    const dir = cacheDir()
    const out = reportDir()
    const run = await runVitest(project, [], { env: { PGTESTBED_CACHE_DIR: dir, E2E_OUT: out } })
    expect(run.output).toContain('Tests  4 passed (4)')
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(
      /\[pgtestbed\] embedded PostgreSQL \d+ · goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} built · 1 warning · \d+ ms/,
    )
    const reports = readReports(out)
    expect(reports.gamma?.server).toBe('embedded')
    expect(new Set(Object.values(reports).map((r) => r.database)).size).toBe(3)

    // The run's last user stopped the server, and no clone is left in its data.
    expect(await eventually(() => processesMentioning(dir).length === 0, 15_000)).toBe(true)
    const { clones, memory } = await clonesIn(dir)
    expect(clones).toEqual([])
    expect(await eventually(() => processesMentioning(dir).length === 0, 15_000)).toBe(true)

    // The clean-up of this test's cache folder leaves nothing in /dev/shm (memory storage, the
    // default where /dev/shm is a usable tmpfs, keeps the data there, outside the cache folder).
    expect(memoryFoldersOf(dir)).toHaveLength(memory ? 1 : 0)
    await removeCacheDir(dir)
    expect(memoryFoldersOf(dir)).toEqual([])
  })

  test('should start a new machine’s server from the cluster the first shard saved in the template cache', async () => {
    const project = fixture('happy')
    const templateCache = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-e2e-template-cache-'))
    defer(() => rmSync(templateCache, { recursive: true, force: true }))
    // Each shard on a cache folder of its own: two CI machines sharing only the cached folder.
    const shard = (n: number) =>
      runVitest(project, [`--shard=${n}/2`], {
        env: {
          PGTESTBED_CACHE_DIR: cacheDir(),
          PGTESTBED_TEMPLATE_CACHE: templateCache,
          E2E_OUT: reportDir(),
        },
      })
    const first = await shard(1)
    expect(first.code, first.output).toBe(0)
    expect(first.stderr).toMatch(/template pgtestbed_tpl_[0-9a-f]{8} built/)
    expect(readdirSync(templateCache)).toContainEqual(expect.stringMatching(/^embedded-/))
    const second = await shard(2)
    expect(second.code, second.output).toBe(0)
    expect(second.stderr).toMatch(/template pgtestbed_tpl_[0-9a-f]{8} restored/)
    expect(second.output).toMatch(/Tests {2}\d+ passed/)
  })

  test('should share one server between two runs started at once (turbo), and stop it after both', async () => {
    const dir = cacheDir()
    const first = fixture('happy')
    const second = fixture('keep')
    const [a, b] = await Promise.all([
      runVitest(first, [], { env: { PGTESTBED_CACHE_DIR: dir, E2E_OUT: reportDir() } }),
      runVitest(second, ['test/passes.test.ts', 'test/leaks.test.ts'], {
        env: { PGTESTBED_CACHE_DIR: dir },
      }),
    ])
    expect(a.output).toContain('Tests  4 passed (4)')
    expect(b.output).toContain('Tests  2 passed (2)')
    expect([a.code, b.code]).toEqual([0, 0])
    for (const run of [a, b]) expect(run.stderr).toMatch(/\[pgtestbed\] embedded PostgreSQL \d+ ·/)
    expect(await eventually(() => processesMentioning(dir).length === 0, 15_000)).toBe(true)
  })

  test('should keep the server up for a kept database, print its URL and how to stop the server', async () => {
    const project = fixture('keep')
    const dir = cacheDir()
    const run = await runVitest(project, ['test/fails.test.ts'], {
      env: { PGTESTBED_CACHE_DIR: dir },
    })
    expect(run.code).toBe(1)
    const url = /because a test failed: (postgres:\/\/\S+)/.exec(run.output)?.[1]
    expect(url, run.output).toBeDefined()
    const rows = await withClient(
      url!,
      async (c) => (await c.query('SELECT item FROM orders')).rows,
    )
    expect(rows).toEqual([{ item: 'left for debugging' }])

    const stop = /or stop it now with:\n {2}(.+ server stop.*)\n/.exec(run.stderr)?.[1]
    // The run had PGTESTBED_CACHE_DIR, which a later shell may not: the command names the folder.
    // `npx`: the project has the command this package installs (bin/pgtestbed.js).
    expect(stop, run.stderr).toBe(`npx pgtestbed server stop --cache-dir ${dir}`)
    expect(processesMentioning(dir).length).toBeGreaterThan(0)
    // Run as printed.
    execSync(stop!, { cwd: project.dir, stdio: 'pipe' })
    expect(await eventually(() => processesMentioning(dir).length === 0, 15_000)).toBe(true)
  })
})
