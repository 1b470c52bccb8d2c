import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enforceMemoryBudget, memoryUsage } from '../../src/servers/embedded/budget.js'
import { memoryRootFor } from '../../src/servers/embedded/memory.js'
import {
  startEmbeddedServer,
  type EmbeddedPostgresServer,
} from '../../src/servers/embedded/server.js'
import { memoryDirProblem } from '../../src/servers/embedded/storage.js'
import { runServerStatus } from '../../src/cli/server-command.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import {
  encodeRecord,
  newRecord,
  readDatabase,
  writeRecord,
} from '../../src/templates/ownership.js'
import { startTestbed } from '../../src/testbed/start.js'
import { gooseMigration, gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { queryRows } from '../helpers/pg.js'
import { cleanupCacheDir, recordingReporter, tempCacheDir } from '../helpers/servers.js'

const inMemory = memoryDirProblem('/dev/shm') === undefined
const HOUR = 3_600_000

/** An `Output` that records what the CLI printed. */
function recordingOutput() {
  const out: string[] = []
  const plain = new Proxy({}, { get: () => (text: string) => text }) as never
  return {
    out,
    print: (text: string) => out.push(text),
    note: (text: string) => out.push(text),
    colors: plain,
    errColors: plain,
  }
}

/** Sets when a memory root was last used (its owner.json mtime), `msAgo` before now. */
function lastUsed(memoryRoot: string, msAgo: number): void {
  const at = new Date(Date.now() - msAgo)
  utimesSync(path.join(memoryRoot, 'owner.json'), at, at)
}

// Real servers in temp cache folders, with their data in a temp folder on /dev/shm (a tmpfs):
// the budget counts and evicts only what is there, never another test's or a user's data.
describe.runIf(inMemory)('the memory budget of the embedded server', () => {
  let memoryDir: string
  const caches = { a: '', b: '', c: '' }
  let running: EmbeddedPostgresServer | undefined
  let project: GooseProject

  beforeAll(async () => {
    memoryDir = mkdtempSync('/dev/shm/pgtestbed-test-budget-')
    // The server's OS user (as root) must reach its folder inside.
    chmodSync(memoryDir, 0o755)
    for (const key of ['a', 'b', 'c'] as const) caches[key] = tempCacheDir()
    project = await gooseProject({ migrations: 2 })
  })

  afterAll(async () => {
    await running?.release().catch(() => {})
    await closeAdminPools()
    for (const dir of Object.values(caches)) await cleanupCacheDir(dir)
    rmSync(memoryDir, { recursive: true, force: true })
    await project.cleanup().catch(() => {})
  })

  const root = (key: keyof typeof caches) => memoryRootFor(memoryDir, caches[key])

  it('should evict the least recently used stopped server first, and never a running one', async () => {
    for (const key of ['a', 'c'] as const) {
      const server = await startEmbeddedServer({ cacheDir: caches[key], memoryDir })
      await server.release()
    }
    running = await startEmbeddedServer({ cacheDir: caches.b, memoryDir })
    expect(running.storage.medium).toBe('memory')
    lastUsed(root('a'), 2 * HOUR)
    lastUsed(root('c'), 1 * HOUR)

    const usage = memoryUsage(memoryDir)
    expect(usage.map((u) => [u.cacheDir, u.running])).toEqual(
      expect.arrayContaining([
        [caches.a, false],
        [caches.b, true],
        [caches.c, false],
      ]),
    )
    const used = usage.reduce((sum, u) => sum + u.bytes, 0)
    const sizeOfA = usage.find((u) => u.cacheDir === caches.a)!.bytes
    // One byte over: evicting the least recently used stopped server is enough.
    const reporter = recordingReporter()
    const report = await enforceMemoryBudget({ memoryDir, budget: used - 1, reporter })
    expect(report.evicted).toEqual([
      expect.stringMatching(
        new RegExp(`^the stopped server of ${caches.a} \\(\\d+ MiB, last used 2 h ago\\)$`),
      ),
    ])
    expect(report.freed).toBe(sizeOfA)
    expect(existsSync(root('a'))).toBe(false)
    expect(existsSync(root('c'))).toBe(true)
    expect(reporter.lines).toEqual([
      expect.stringMatching(
        /^info pgtestbed's data in .* took \d+ MiB, more than its memory budget \d+ MiB \(embedded\.memoryBudget\): evicted the stopped server of .*; freed \d+ MiB$/,
      ),
    ])
    // Its cache folder says why its data is gone; the next start creates it again.
    const evicted = JSON.parse(
      readFileSync(path.join(caches.a, 'embedded', 'pg18', 'evicted.json'), 'utf8'),
    ) as { reason: string }
    expect(evicted.reason).toMatch(/^memory budget \d+ MiB$/)
    expect(existsSync(path.join(caches.a, 'embedded', 'pg18', 'memory.json'))).toBe(false)
  })

  it('should show every workspace data in memory, the budget and the free space in server status', async () => {
    const output = recordingOutput()
    const embedded = { memoryDir, memoryBudget: '1GB' }
    expect(await runServerStatus(caches.c, {}, output as never, embedded)).toBe(0)
    const text = output.out.join('\n')
    expect(text).toMatch(
      new RegExp(
        `\\nmemory in ${memoryDir}: pgtestbed's data takes \\d+ MiB of its 1\\.0 GiB budget \\(embedded\\.memoryBudget\\), in 2 data folders; [\\d.]+ GiB free of [\\d.]+ GiB\\n`,
      ),
    )
    expect(text).toMatch(new RegExp(`\\n +\\d+ MiB  running  ${caches.b}(\\n|$)`))
    expect(text).toMatch(
      new RegExp(`\\n +\\d+ MiB  stopped  ${caches.c} \\(this workspace, last used \\S+\\)`),
    )

    const json = recordingOutput()
    await runServerStatus(caches.c, { format: 'json' }, json as never, embedded)
    const { memory } = JSON.parse(json.out.join('')) as {
      memory: { dir: string; budget: number; used: number; free: number; roots: unknown[] }
    }
    expect(memory).toMatchObject({ dir: memoryDir, budget: 1024 ** 3 })
    expect(memory.roots).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cacheDir: caches.b, running: true, thisWorkspace: false }),
        expect.objectContaining({ cacheDir: caches.c, running: false, thisWorkspace: true }),
      ]),
    )
    expect(memory.roots).toHaveLength(2)
    expect(memory.used).toBeGreaterThan(0)
  })

  it("should evict a stopped server's data at start past the budget, sparing the running server, and say why at that server's next start", async () => {
    const reporter = recordingReporter()
    // Server a comes back (its data was evicted) with a budget of 1 byte.
    const server = await startEmbeddedServer({
      cacheDir: caches.a,
      memoryDir,
      memoryBudget: 1,
      reporter,
    })
    try {
      expect(server.initialized).toBe(true)
      const info = reporter.lines.filter((line) => line.startsWith('info '))
      expect(info[0]).toMatch(
        /^info the embedded server's data in memory was evicted at \S+ while it was stopped \(memory budget \d+ MiB\): creating it again; templates are rebuilt once$/,
      )
      expect(info[1]).toMatch(
        new RegExp(
          `^info pgtestbed's data in ${memoryDir} took \\d+ MiB, more than its memory budget 0 KiB \\(embedded\\.memoryBudget\\): evicted the stopped server of ${caches.c} \\(\\d+ MiB, last used \\d+ (min|h) ago\\); freed \\d+ MiB; still \\d+ MiB over: the rest is in use`,
        ),
      )
      expect(existsSync(root('c'))).toBe(false)
      expect(existsSync(root('b'))).toBe(true)
      expect(await queryRows(running!.adminUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }])
    } finally {
      await server.release()
    }
  })

  it('should never evict a stopped server holding a kept database', async () => {
    // Server a is stopped now; give it a kept clone (as a failed test leaves), then stop it.
    const server = await startEmbeddedServer({ cacheDir: caches.a, memoryDir })
    const kept = 'pgtestbed_c_0123456789ab_0123456789abcdef'
    await queryRows(server.adminUrl, `CREATE DATABASE ${kept}`)
    const record = {
      ...newRecord({ kind: 'clone', project: 'budget', template: 'pgtestbed_tpl_x' }),
      kept: true,
      keptAt: new Date().toISOString(),
    }
    await queryRows(server.adminUrl, `COMMENT ON DATABASE ${kept} IS '${encodeRecord(record)}'`)
    await server.release()
    lastUsed(root('a'), 5 * HOUR)

    const report = await enforceMemoryBudget({
      memoryDir,
      budget: 0,
      reporter: recordingReporter(),
    })
    expect(report.evicted).toEqual([])
    expect(existsSync(root('a'))).toBe(true)
    expect(memoryUsage(memoryDir).find((u) => u.cacheDir === caches.a)?.kept).toEqual([kept])
  })

  it("should drop the running server's template of an older schema when over the budget, never the one in use", async () => {
    const options = {
      server: 'embedded' as const,
      cacheDir: caches.b,
      cwd: project.cwd,
      env: {},
      sweep: false as const,
      embedded: { memoryDir },
    }
    const first = await startTestbed(options)
    const old = first.template.name
    await first.close()
    // Used an hour ago: an older schema nobody clones from.
    await withAdminClient(running!.adminUrl, async (client) => {
      const entry = await readDatabase(client, old)
      await writeRecord(client, old, {
        ...entry!.record!,
        usedAt: new Date(Date.now() - HOUR).toISOString(),
      })
    })
    await project.write('00003_more.sql', gooseMigration(3))

    const reporter = recordingReporter()
    const second = await startTestbed({
      ...options,
      reporter,
      embedded: { memoryDir, memoryBudget: 1 },
    })
    try {
      expect(second.template.name).not.toBe(old)
      const names = (
        await queryRows<{ name: string }>(
          running!.adminUrl,
          'SELECT datname AS name FROM pg_database',
        )
      ).map((r) => r.name)
      expect(names).not.toContain(old)
      expect(names).toContain(second.template.name)
      expect(reporter.lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^info pgtestbed's data in ${memoryDir} took \\d+ MiB, .*evicted template ${old} \\(\\d+ (KiB|MiB), an older schema of project ${project.project}\\)`,
          ),
        ),
      )
    } finally {
      await second.close()
    }
  })
})
