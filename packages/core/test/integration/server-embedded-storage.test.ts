import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { memoryRootFor } from '../../src/servers/embedded/memory.js'
import { stopEmbeddedServer } from '../../src/servers/embedded/stop.js'
import { memoryDirProblem } from '../../src/servers/embedded/storage.js'
import { ensureServerUser } from '../../src/servers/embedded/user.js'
import {
  startEmbeddedServer,
  type EmbeddedPostgresServer,
} from '../../src/servers/embedded/server.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { startTestbed } from '../../src/testbed/start.js'
import {
  cleanupCacheDir,
  eventually,
  memoryFolders,
  processesMentioning,
  recordingReporter,
  tempCacheDir,
  withoutBinaryNotices,
} from '../helpers/servers.js'
import { gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { queryRows } from '../helpers/pg.js'

const SHM = '/dev/shm'
const inMemory = memoryDirProblem(SHM) === undefined

async function databaseNames(server: EmbeddedPostgresServer): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    server.adminUrl,
    'SELECT datname AS name FROM pg_database WHERE NOT datistemplate ORDER BY 1',
  )
  return rows.map((r) => r.name)
}

function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[name]
  process.env[name] = value
  return fn().finally(() => {
    if (saved === undefined) delete process.env[name]
    else process.env[name] = saved
  })
}

describe('embedded server storage', () => {
  const dirs: string[] = []
  // A folder on the disk (not a tmpfs): memory storage is unusable there.
  let onDisk: string

  function cache(): string {
    const dir = tempCacheDir()
    dirs.push(dir)
    return dir
  }

  beforeAll(() => {
    onDisk = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-not-ram-'))
  })

  afterEach(async () => {
    for (const dir of dirs.splice(0)) await cleanupCacheDir(dir)
  })

  afterAll(() => {
    rmSync(onDisk, { recursive: true, force: true })
  })

  it.runIf(inMemory)(
    "should keep the data folder in /dev/shm by default (0700, the server user's), and state and log in the cache folder",
    async () => {
      const dir = cache()
      const reporter = recordingReporter()
      const server = await startEmbeddedServer({ cacheDir: dir, reporter })
      try {
        const root = memoryRootFor(SHM, dir)
        expect(server.storage).toEqual({ medium: 'memory', fsync: false })
        expect(server.dataDir).toBe(path.join(root, 'pg18', 'data'))
        expect(path.basename(root)).toMatch(
          new RegExp(`^pgtestbed-${process.getuid!()}-[0-9a-f]{12}$`),
        )
        expect(reporter.lines).toContain(
          'step starting embedded PostgreSQL 18 (data in memory; first run: initdb)',
        )
        const owner = ensureServerUser()?.uid ?? process.getuid!()
        for (const folder of [root, path.join(root, 'pg18'), server.dataDir]) {
          expect(statSync(folder).uid).toBe(owner)
          expect(statSync(folder).mode & 0o777).toBe(0o700)
        }
        const serverRoot = path.join(dir, 'embedded', 'pg18')
        expect(existsSync(path.join(serverRoot, 'server.json'))).toBe(true)
        expect(existsSync(path.join(serverRoot, 'postgres.log'))).toBe(true)
        expect(existsSync(path.join(serverRoot, 'data'))).toBe(false)
        const rows = await queryRows<{ dir: string; root: string }>(
          server.adminUrl,
          `SELECT current_setting('data_directory') AS dir, current_setting('pgtestbed.server_root') AS root`,
        )
        expect(rows).toEqual([{ dir: server.dataDir, root: serverRoot }])
        // ps and clean-up scripts can tell which cache folder the server belongs to.
        expect(processesMentioning(dir)).toContain(server.pid)
      } finally {
        await server.release()
      }
    },
  )

  it('should keep the data folder in the cache folder with storage disk, and let PGTESTBED_EMBEDDED_STORAGE override the option', async () => {
    const dir = cache()
    const diskData = path.join(dir, 'embedded', 'pg18', 'data')
    const first = await startEmbeddedServer({ cacheDir: dir, storage: 'disk' })
    expect(first.storage).toEqual({ medium: 'disk', fsync: false })
    expect(first.dataDir).toBe(diskData)
    expect(existsSync(memoryRootFor(SHM, dir))).toBe(false)
    await first.release()

    const second = await withEnv('PGTESTBED_EMBEDDED_STORAGE', 'disk', () =>
      startEmbeddedServer({ cacheDir: dir, storage: 'memory' }),
    )
    try {
      expect(second.storage.medium).toBe('disk')
      expect(second.dataDir).toBe(diskData)
      expect(second.initialized).toBe(false)
    } finally {
      await second.release()
    }
  })

  it('should reject an unknown PGTESTBED_EMBEDDED_STORAGE with INVALID_OPTIONS before starting anything', async () => {
    const dir = cache()
    const error = await withEnv('PGTESTBED_EMBEDDED_STORAGE', 'ram', () =>
      startEmbeddedServer({ cacheDir: dir }),
    ).catch((e) => e)
    expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toBe(
      `PGTESTBED_EMBEDDED_STORAGE must be 'auto', 'memory' or 'disk', not "ram"`,
    )
    expect(error.fix).toBe('Use PGTESTBED_EMBEDDED_STORAGE=auto (the default), memory or disk.')
    expect(existsSync(path.join(dir, 'embedded'))).toBe(false)
  })

  it('should fall back to the disk with a one-line notice when the memory folder is not a tmpfs, and fail with a fix when memory was asked for', async () => {
    const dir = cache()
    const reporter = recordingReporter()
    const server = await startEmbeddedServer({ cacheDir: dir, memoryDir: onDisk, reporter })
    try {
      expect(server.storage.medium).toBe('disk')
      expect(server.dataDir).toBe(path.join(dir, 'embedded', 'pg18', 'data'))
      expect(
        withoutBinaryNotices(reporter.lines).filter((line) => line.startsWith('info ')),
      ).toEqual([
        `info keeping the embedded server's data on disk (${onDisk} is not a RAM-backed file system (tmpfs)); clones are faster with a tmpfs at ${onDisk}`,
      ])
    } finally {
      await server.release()
    }

    const forced = await startEmbeddedServer({
      cacheDir: dir,
      memoryDir: onDisk,
      storage: 'memory',
    }).catch((e) => e)
    expect(isPgtestbedError(forced) && forced.code).toBe('EMBEDDED_START_FAILED')
    expect(forced.message).toBe(
      `the embedded server cannot keep its data in memory: ${onDisk} is not a RAM-backed file system (tmpfs)`,
    )
    expect(forced.fix).toBe(
      `Use embedded.storage 'disk' or 'auto' (or PGTESTBED_EMBEDDED_STORAGE=disk), or mount a tmpfs with at least 1.0 GiB free at ${onDisk}.`,
    )

    const missing = path.join(onDisk, 'no-such-folder')
    const absent = await startEmbeddedServer({
      cacheDir: dir,
      memoryDir: missing,
      storage: 'memory',
    }).catch((e) => e)
    expect(isPgtestbedError(absent) && absent.code).toBe('EMBEDDED_START_FAILED')
    expect(absent.message).toBe(
      `the embedded server cannot keep its data in memory: ${missing} does not exist`,
    )
    // Nothing was made for the refused memory storage.
    expect(existsSync(memoryRootFor(onDisk, dir))).toBe(false)
  })

  it.runIf(inMemory)(
    'should run initdb again and work when the data folder in memory vanished while the server was stopped (a reboot)',
    async () => {
      const dir = cache()
      const first = await startEmbeddedServer({ cacheDir: dir })
      await queryRows(first.adminUrl, 'CREATE DATABASE before_reboot')
      await first.release()
      expect(await eventually(() => processesMentioning(first.dataDir).length === 0)).toBe(true)

      // A reboot empties /dev/shm; a crash just before it leaves a state file naming a dead
      // server on the data folder that is now gone.
      rmSync(memoryRootFor(SHM, dir), { recursive: true, force: true })
      const dead = spawnSync('true').pid!
      writeFileSync(
        path.join(dir, 'embedded', 'pg18', 'server.json'),
        JSON.stringify({
          pid: dead,
          port: first.port,
          dataDir: first.dataDir,
          version: '18.4',
          startedAt: new Date().toISOString(),
        }),
      )

      const reporter = recordingReporter()
      const second = await startEmbeddedServer({ cacheDir: dir, reporter })
      try {
        expect(second.started).toBe(true)
        expect(second.initialized).toBe(true)
        expect(second.dataDir).toBe(first.dataDir)
        expect(withoutBinaryNotices(reporter.lines)).toEqual([
          `info the embedded server's data folder ${first.dataDir} is gone (memory storage does not survive a reboot): creating it again; templates are rebuilt once`,
          'step starting embedded PostgreSQL 18 (data in memory; first run: initdb)',
          'done starting embedded PostgreSQL 18 (data in memory; first run: initdb)',
        ])
        expect(await databaseNames(second)).toEqual(['postgres'])
        await queryRows(second.adminUrl, 'CREATE DATABASE after_reboot')
        expect(await databaseNames(second)).toEqual(['after_reboot', 'postgres'])
      } finally {
        await second.release()
      }
    },
  )

  it.runIf(inMemory)(
    'should delete the data in memory with stopEmbeddedServer({ removeData }), leave nothing in /dev/shm, and start afresh next time',
    async () => {
      const dir = cache()
      const name = path.basename(memoryRootFor(SHM, dir))
      expect(memoryFolders()).not.toContain(name)
      const server = await startEmbeddedServer({ cacheDir: dir })
      await queryRows(server.adminUrl, 'CREATE DATABASE doomed')
      expect(memoryFolders()).toContain(name)
      await server.release({ keepRunning: true })

      const stopped = await stopEmbeddedServer({ cacheDir: dir, removeData: true })
      expect(stopped).toEqual([
        {
          dataDir: server.dataDir,
          stopped: true,
          pid: server.pid,
          port: server.port,
          activeUsers: 0,
          removedDataDirs: [server.dataDir],
        },
      ])
      expect(processesMentioning(server.dataDir)).toEqual([])
      expect(memoryFolders()).not.toContain(name)
      expect(existsSync(path.join(dir, 'embedded', 'pg18', 'memory.json'))).toBe(false)

      const again = await startEmbeddedServer({ cacheDir: dir })
      try {
        expect(again.initialized).toBe(true)
        expect(await databaseNames(again)).toEqual(['postgres'])
      } finally {
        await again.release()
      }
      await cleanupCacheDir(dir)
      expect(memoryFolders()).not.toContain(name)
    },
  )

  it.runIf(inMemory)(
    'should leave the data of a server in use alone when stopEmbeddedServer is not forced',
    async () => {
      const dir = cache()
      await using server = await startEmbeddedServer({ cacheDir: dir })
      const result = await stopEmbeddedServer({ cacheDir: dir, removeData: true })
      expect(result).toEqual([
        {
          dataDir: server.dataDir,
          stopped: false,
          pid: server.pid,
          port: server.port,
          activeUsers: 1,
        },
      ])
      expect(existsSync(path.join(server.dataDir, 'PG_VERSION'))).toBe(true)
    },
  )

  it.runIf(inMemory)(
    'should remove the memory folder of a deleted cache folder at the next start, but not one whose server still runs',
    async () => {
      const gone = cache()
      const stopped = await startEmbeddedServer({ cacheDir: gone })
      await stopped.release()
      const running = cache()
      const live = await startEmbeddedServer({ cacheDir: running })
      try {
        // `rm -rf node_modules`, or a test removing its temp cache folder without the data.
        rmSync(gone, { recursive: true, force: true })
        rmSync(running, { recursive: true, force: true })
        expect(memoryFolders()).toContain(path.basename(memoryRootFor(SHM, gone)))

        const other = await startEmbeddedServer({ cacheDir: cache() })
        await other.release()
        expect(memoryFolders()).not.toContain(path.basename(memoryRootFor(SHM, gone)))
        expect(memoryFolders()).toContain(path.basename(memoryRootFor(SHM, running)))
        expect(await databaseNames(live)).toEqual(['postgres'])
      } finally {
        // Its cache folder (lock, leases) is gone: stop it by pid; clean-up removes its memory.
        process.kill(live.pid, 'SIGINT')
        expect(await eventually(() => processesMentioning(live.dataDir).length === 0)).toBe(true)
        await live.release().catch(() => {})
      }
    },
  )

  it.runIf(inMemory)(
    'should attach to the running server of the cache folder whatever its storage, then move to memory with a notice once it stopped',
    async () => {
      const dir = cache()
      const diskData = path.join(dir, 'embedded', 'pg18', 'data')
      const onDiskServer = await startEmbeddedServer({ cacheDir: dir, storage: 'disk' })
      const attached = await startEmbeddedServer({ cacheDir: dir })
      expect(attached.started).toBe(false)
      expect(attached.pid).toBe(onDiskServer.pid)
      expect(attached.storage.medium).toBe('disk')
      expect(attached.dataDir).toBe(diskData)
      await attached.release()
      await onDiskServer.release()

      const reporter = recordingReporter()
      const moved = await startEmbeddedServer({ cacheDir: dir, reporter })
      try {
        expect(moved.storage.medium).toBe('memory')
        expect(reporter.lines[0]).toBe(
          `info the embedded server's data now lives in memory; its old data folder ${diskData} is no longer used (delete it to free the disk space, or set embedded.storage to 'disk' to keep using it)`,
        )
      } finally {
        await moved.release()
      }
    },
  )
})

describe('cloneStrategy auto on the embedded server', () => {
  let p: GooseProject
  const dirs: string[] = []

  beforeAll(async () => {
    p = await gooseProject({ migrations: 2 })
  })

  afterAll(async () => {
    await closeAdminPools()
    for (const dir of dirs) await cleanupCacheDir(dir)
    await p.cleanup().catch(() => {})
  })

  it.runIf(inMemory)(
    'should clone with file_copy on the embedded server (memory, or disk with fsync off) and wal_log once fsync is on',
    async () => {
      const cases = [
        [{ storage: 'memory' }, { medium: 'memory', fsync: false }, 'file_copy'],
        [{ storage: 'disk' }, { medium: 'disk', fsync: false }, 'file_copy'],
        [
          { storage: 'disk', settings: { fsync: true } },
          { medium: 'disk', fsync: true },
          'wal_log',
        ],
      ] as const
      for (const [embedded, storage, strategy] of cases) {
        const cacheDir = tempCacheDir()
        dirs.push(cacheDir)
        const testbed = await startTestbed({
          server: 'embedded',
          cacheDir,
          cwd: p.cwd,
          env: {},
          embedded,
        })
        try {
          expect(testbed.info.server).toEqual({ kind: 'embedded', majorVersion: 18, storage })
          expect(testbed.info.cloneStrategy).toBe(strategy)
          await using db = await testbed.clone({ label: `${strategy}.test.ts` })
          const rows = await queryRows<{ n: number }>(
            db.url,
            "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
          )
          expect(rows).toEqual([{ n: 3 }])
        } finally {
          await testbed.close()
        }
      }
    },
  )
})
