import { mkdir, mkdtemp, readdir, rm, truncate } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { startEmbeddedServer } from '../../src/servers/embedded/server.js'
import { readSnapshot, snapshotDirFor } from '../../src/servers/embedded/snapshot.js'
import { snapshotCluster } from '../../src/testbed/snapshot.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { listDatabases } from '../../src/templates/ownership.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import type { TestbedOptions } from '../../src/testbed/types.js'
import { gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { publicTables, queryRows } from '../helpers/pg.js'
import { cleanupCacheDir, recordingReporter, tempCacheDir } from '../helpers/servers.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await closeAdminPools()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

async function setUp(): Promise<{ p: GooseProject; templateCache: string }> {
  const p = await gooseProject({ migrations: 5 })
  cleanups.push(() => p.cleanup())
  const templateCache = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-snapshot-'))
  cleanups.push(() => rm(templateCache, { recursive: true, force: true }))
  return { p, templateCache }
}

/** A cache folder (so a server) of its own, removed with its data after the test. */
function serverFolder(): string {
  const cacheDir = tempCacheDir()
  cleanups.push(() => cleanupCacheDir(cacheDir))
  return cacheDir
}

function options(p: GooseProject, cacheDir: string, extra: TestbedOptions = {}): TestbedOptions {
  return { server: 'embedded', cacheDir, cwd: p.cwd, env: {}, pool: 0, ...extra }
}

describe('template cache: the embedded server’s cluster snapshot', () => {
  test('should start a new embedded server from the snapshot, with the template and without the clones', async () => {
    const { p, templateCache } = await setUp()
    const first = serverFolder()
    const saving = recordingReporter()
    const built = await startTestbed(options(p, first, { templateCache, reporter: saving }))
    // Without a pg_dump of its major here, the SQL entry is left out without a word.
    expect(saving.lines.filter((line) => line.startsWith('warn '))).toEqual([])
    expect(saving.lines).toContain(
      "step saving the embedded server's cluster to the template cache",
    )
    let clone: string
    let version: string
    try {
      expect(built.template.status).toBe('built')
      const server = await startEmbeddedServer({ cacheDir: first })
      version = server.version
      try {
        expect((await readSnapshot(templateCache, version))?.manifest.templates).toEqual([
          built.info.template,
        ])
        // A live clone with rows in it: saved again, the snapshot leaves it out.
        const db = await cloneDatabase(built.info, { label: 'snapshot.test.ts' })
        clone = db.name
        await queryRows(db.url, "INSERT INTO t1 (id, name) VALUES (1, 'in the clone')")
        // What a save killed midway left (its pid cannot exist: above Linux's pid_max).
        const abandoned = `${snapshotDirFor(templateCache, version)}.tmp-4194305-0badf00d`
        await mkdir(abandoned)
        const saved = await snapshotCluster(server, templateCache)
        expect(saved.manifest).toMatchObject({
          templates: [built.info.template],
          excluded: [clone],
        })
        expect(await readdir(templateCache)).toEqual([path.basename(saved.dir)])
        await db.drop()
      } finally {
        await server.release()
      }
    } finally {
      await built.close()
    }
    expect(await readSnapshot(templateCache, '0.0')).toBeUndefined()

    const reporter = recordingReporter()
    const second = serverFolder()
    await using restored = await startTestbed(options(p, second, { templateCache, reporter }))
    expect(reporter.lines).toContain(
      'step starting embedded PostgreSQL 18 (data in memory; first run: from the template cache)',
    )
    expect(restored.template).toMatchObject({
      status: 'restored',
      applied: 0,
      name: built.info.template,
    })
    await using db = await cloneDatabase(restored.info)
    expect(await publicTables(db.url)).toEqual(['goose_db_version', 't1', 't2', 't3', 't4', 't5'])
    expect(await queryRows(db.url, 'SELECT count(*)::int AS n FROM t1')).toEqual([{ n: 0 }])
    const names = await withAdminClient(restored.info.adminUrl, async (client) =>
      (await listDatabases(client)).map((entry) => entry.name),
    )
    expect(names).toContain(built.info.template)
    expect(names).not.toContain(clone)
    // The seeded cluster takes writes and new databases like any other.
    await queryRows(db.url, "INSERT INTO t1 (id, name) VALUES (2, 'after the restore')")
    expect(await queryRows(db.url, 'SELECT name FROM t1')).toEqual([{ name: 'after the restore' }])
  })

  test('should save a snapshot that restores whole while other processes clone and drop', async () => {
    const { p, templateCache } = await setUp()
    const first = serverFolder()
    await using built = await startTestbed(options(p, first))
    await using server = await startEmbeddedServer({ cacheDir: first })
    // Clones made and dropped throughout the copy: files appear and vanish under it.
    let busy = true
    const churn = (async () => {
      let made = 0
      while (busy || made < 3) {
        const db = await cloneDatabase(built.info, { label: 'churn' })
        await queryRows(db.url, "INSERT INTO t2 (name) VALUES ('churn')")
        await db.drop()
        made++
      }
      return made
    })()
    const saved = await snapshotCluster(server, templateCache).finally(() => {
      busy = false
    })
    expect(await churn).toBeGreaterThanOrEqual(3)
    expect(saved.manifest.templates).toEqual([built.info.template])

    await using restored = await startTestbed(options(p, serverFolder(), { templateCache }))
    expect(restored.template.status).toBe('restored')
    const names = await withAdminClient(restored.info.adminUrl, async (client) =>
      (await listDatabases(client)).map((entry) => entry.name),
    )
    expect(names).toEqual([built.info.template])
    await using db = await cloneDatabase(restored.info)
    expect(await publicTables(db.url)).toEqual(['goose_db_version', 't1', 't2', 't3', 't4', 't5'])
    expect(await queryRows(db.url, 'SELECT count(*)::int AS n FROM t2')).toEqual([{ n: 0 }])
  })

  test('should warn and start afresh with initdb from a damaged snapshot', async () => {
    const { p, templateCache } = await setUp()
    const first = serverFolder()
    const built = await startTestbed(options(p, first, { templateCache }))
    const version = (await startEmbeddedServer({ cacheDir: first }).then(async (server) => {
      await server.release()
      return server.version
    })) as string
    await built.close()
    const snapshot = await readSnapshot(templateCache, version)
    await truncate(path.join(snapshot!.dir, 'data', 'global', 'pg_control'), 0)

    const reporter = recordingReporter()
    await using again = await startTestbed(options(p, serverFolder(), { templateCache, reporter }))
    expect(reporter.lines.filter((line) => line.includes('did not start from'))).toEqual([
      expect.stringMatching(
        /^warn template cache: the embedded server did not start from the snapshot .+; starting afresh with initdb$/,
      ),
    ])
    expect(again.template.status).toBe('built')
    await using db = await cloneDatabase(again.info)
    expect(await publicTables(db.url)).toContain('t5')
  })
})
