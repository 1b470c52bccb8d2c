import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { memoryRootFor } from '../../src/servers/embedded/memory.js'
import { memoryDirProblem } from '../../src/servers/embedded/storage.js'
import { fallbackCacheDir, resolveCacheDir } from '../../src/servers/embedded/paths.js'
import {
  startEmbeddedServer,
  type EmbeddedPostgresServer,
} from '../../src/servers/embedded/server.js'
import { stopEmbeddedServer } from '../../src/servers/embedded/stop.js'
import { resolveServer } from '../../src/servers/resolve.js'
import {
  bundleFixture,
  cleanupCacheDir,
  eventually,
  portOpen,
  processesMentioning,
  recordingReporter,
  tempCacheDir,
} from '../helpers/servers.js'
import { queryRows } from '../helpers/pg.js'

const asRoot = process.getuid?.() === 0
const execFileAsync = promisify(execFile)

/** True when `auto` storage puts the data in memory here (a usable tmpfs at /dev/shm). */
const inMemory = memoryDirProblem('/dev/shm') === undefined

/** Where `auto` storage keeps the data of `cacheDir` on this machine. */
function autoDataDir(cacheDir: string): string {
  return inMemory
    ? path.join(memoryRootFor('/dev/shm', cacheDir), 'pg18', 'data')
    : path.join(cacheDir, 'embedded', 'pg18', 'data')
}

async function expectStopped(server: EmbeddedPostgresServer) {
  expect(await eventually(() => processesMentioning(server.dataDir).length === 0)).toBe(true)
  expect(await portOpen(server.port)).toBe(false)
}

describe('embedded server', () => {
  // One cluster (initdb once) for the tests that only start and stop it.
  let shared: string
  const extraDirs: string[] = []

  beforeAll(() => {
    shared = tempCacheDir()
  })

  afterEach(async () => {
    await stopEmbeddedServer({ cacheDir: shared, force: true })
  })

  afterAll(async () => {
    await cleanupCacheDir(shared)
    for (const dir of extraDirs) await cleanupCacheDir(dir)
  })

  it('should create the cluster on first start, report it, serve databases, and stop on release', async () => {
    const reporter = recordingReporter()
    const server = await startEmbeddedServer({ cacheDir: shared, reporter })
    expect(server.kind).toBe('embedded')
    expect(server.started).toBe(true)
    expect(server.initialized).toBe(true)
    expect(server.majorVersion).toBe(18)
    expect(reporter.lines).toContain(
      `step starting embedded PostgreSQL 18 (${inMemory ? 'data in memory; ' : ''}first run: initdb)`,
    )
    expect(server.storage).toEqual({ medium: inMemory ? 'memory' : 'disk', fsync: false })
    expect(server.dataDir).toBe(autoDataDir(shared))
    expect(existsSync(path.join(server.dataDir, 'PG_VERSION'))).toBe(true)
    expect(server.adminUrl).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`)

    await queryRows(server.adminUrl, 'CREATE DATABASE h4_kept')
    const rows = await queryRows<{ db: string }>(
      server.urlFor('h4_kept'),
      'SELECT current_database() AS db',
    )
    expect(rows).toEqual([{ db: 'h4_kept' }])

    await server.release()
    await expectStopped(server)
  })

  it('should reuse the data folder on a warm start (no initdb, databases survive)', async () => {
    const reporter = recordingReporter()
    const server = await startEmbeddedServer({ cacheDir: shared, reporter })
    try {
      expect(server.initialized).toBe(false)
      expect(reporter.lines).toContain(
        `step starting embedded PostgreSQL 18${inMemory ? ' (data in memory)' : ''}`,
      )
      const rows = await queryRows<{ n: number }>(
        server.adminUrl,
        `SELECT count(*)::int AS n FROM pg_database WHERE datname = 'h4_kept'`,
      )
      expect(rows).toEqual([{ n: 1 }])
    } finally {
      await server.release()
    }
    await expectStopped(server)
  })

  it('should run with test-tuned settings on 127.0.0.1 only, without a unix socket', async () => {
    await using server = await startEmbeddedServer({ cacheDir: shared })
    expect(server.port).not.toBe(5432)
    const rows = await queryRows<{ name: string; setting: string }>(
      server.adminUrl,
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit',
         'full_page_writes', 'max_connections', 'listen_addresses', 'unix_socket_directories', 'jit')
       ORDER BY name`,
    )
    expect(Object.fromEntries(rows.map((r) => [r.name, r.setting]))).toEqual({
      fsync: 'off',
      full_page_writes: 'off',
      jit: 'off',
      listen_addresses: '127.0.0.1',
      max_connections: '300',
      synchronous_commit: 'off',
      unix_socket_directories: '',
    })
  })

  it('should attach a second handle in the same process to the same server', async () => {
    const first = await startEmbeddedServer({ cacheDir: shared })
    const second = await startEmbeddedServer({ cacheDir: shared })
    expect(second.started).toBe(false)
    expect(second.pid).toBe(first.pid)
    await first.release()
    expect(await portOpen(second.port)).toBe(true)
    await second.release()
    await expectStopped(second)
  })

  it('should start despite a stale postmaster.pid naming a live unrelated process', async () => {
    const first = await startEmbeddedServer({ cacheDir: shared })
    await first.release()
    await expectStopped(first)
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' })
    try {
      const pidFile = path.join(first.dataDir, 'postmaster.pid')
      writeFileSync(
        pidFile,
        `${unrelated.pid}\n${first.dataDir}\n1700000000\n${first.port}\n\n127.0.0.1\n  1234   5678\nready   \n`,
      )
      const server = await startEmbeddedServer({ cacheDir: shared })
      expect(server.started).toBe(true)
      expect(server.pid).not.toBe(unrelated.pid)
      expect(readFileSync(pidFile, 'utf8').split('\n')[0]).toBe(String(server.pid))
      await server.release()
      await expectStopped(server)
    } finally {
      unrelated.kill('SIGKILL')
    }
  })

  it('should use the port it is given, and fail clearly when that port is taken', async () => {
    // Another program on the port: it hangs up on anyone who connects.
    const blocker = net.createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const taken = (blocker.address() as net.AddressInfo).port
    try {
      const error = await startEmbeddedServer({ cacheDir: shared, port: taken }).catch((e) => e)
      expect(isPgtestbedError(error) && error.code).toBe('EMBEDDED_START_FAILED')
      expect(error.message).toContain('exited during start-up')
      expect(error.message).toContain('Address already in use')
      expect(error.fix).toContain('PGTESTBED_URL')
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
    const free = taken // released by the blocker just now
    await using server = await startEmbeddedServer({ cacheDir: shared, port: free })
    expect(server.port).toBe(free)
  })

  it('should leave a server that is in use running unless stopEmbeddedServer is forced', async () => {
    const server = await startEmbeddedServer({ cacheDir: shared })
    const polite = await stopEmbeddedServer({ cacheDir: shared })
    expect(polite).toEqual([
      {
        dataDir: server.dataDir,
        stopped: false,
        pid: server.pid,
        port: server.port,
        activeUsers: 1,
      },
    ])
    expect(await portOpen(server.port)).toBe(true)
    const forced = await stopEmbeddedServer({ cacheDir: shared, force: true })
    expect(forced[0]).toMatchObject({ stopped: true, pid: server.pid })
    await expectStopped(server)
    await server.release() // nothing left to stop: must not throw
  })

  it('should choose the embedded server when only DATABASE_URL is set, never DATABASE_URL', async () => {
    const saved = { url: process.env.PGTESTBED_URL, db: process.env.DATABASE_URL }
    delete process.env.PGTESTBED_URL
    process.env.DATABASE_URL = 'postgres://someone:secret@127.0.0.1:5432/production'
    try {
      await using server = await resolveServer({ cacheDir: shared })
      expect(server.kind).toBe('embedded')
      expect(server.adminUrl).toBe(
        `postgres://postgres@127.0.0.1:${(server as EmbeddedPostgresServer).port}/postgres`,
      )
    } finally {
      if (saved.url === undefined) delete process.env.PGTESTBED_URL
      else process.env.PGTESTBED_URL = saved.url
      if (saved.db === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = saved.db
    }
  })

  it('should keep its data under PGTESTBED_CACHE_DIR when no cacheDir option is given', async () => {
    const dir = tempCacheDir()
    extraDirs.push(dir)
    const saved = process.env.PGTESTBED_CACHE_DIR
    process.env.PGTESTBED_CACHE_DIR = dir
    try {
      await using server = await resolveServer({ server: 'embedded' })
      expect(server.kind).toBe('embedded')
      expect(existsSync(path.join(dir, 'embedded', 'pg18', 'server.json'))).toBe(true)
      expect((server as EmbeddedPostgresServer).dataDir).toBe(autoDataDir(dir))
    } finally {
      if (saved === undefined) delete process.env.PGTESTBED_CACHE_DIR
      else process.env.PGTESTBED_CACHE_DIR = saved
    }
  })

  it.runIf(asRoot)(
    'should run as the dedicated OS user "pgtestbed" when started by root',
    async () => {
      await using server = await startEmbeddedServer({ cacheDir: shared })
      const uid = Number(execFileSync('id', ['-u', 'pgtestbed'], { encoding: 'utf8' }).trim())
      const status = readFileSync(`/proc/${server.pid}/status`, 'utf8')
      expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'))
      expect(statSync(server.dataDir).uid).toBe(uid)
      expect(statSync(server.dataDir).mode & 0o777).toBe(0o700)
    },
  )

  it.runIf(asRoot)(
    'should move its data under the temp folder, with a notice, when the cache sits in a private (0700) folder',
    async () => {
      const home = tempCacheDir()
      extraDirs.push(home)
      chmodSync(home, 0o700)
      const cacheDir = path.join(home, 'project', 'node_modules', '.cache', 'pgtestbed')
      const fallback = fallbackCacheDir(cacheDir)
      extraDirs.push(fallback)
      const reporter = recordingReporter()
      const server = await startEmbeddedServer({ cacheDir, reporter })
      try {
        expect(existsSync(path.join(fallback, 'embedded', 'pg18', 'server.json'))).toBe(true)
        expect(server.dataDir).toBe(autoDataDir(fallback))
        expect(reporter.lines).toContain(
          `info the OS user "pgtestbed" cannot reach ${cacheDir} (a parent folder is private); keeping the embedded server's data in ${fallback}`,
        )
        const stopped = await stopEmbeddedServer({ cacheDir, force: true })
        expect(stopped.map((s) => s.stopped)).toEqual([true])
      } finally {
        await server.release()
      }
      await expectStopped(server)
      // A reset leaves nothing in the temp folder either.
      await stopEmbeddedServer({ cacheDir, removeData: true })
      expect(existsSync(fallback)).toBe(false)
    },
  )

  it('should share one cache folder per workspace: the topmost folder with a workspace file, lockfile or .git', () => {
    const tree = tempCacheDir()
    extraDirs.push(tree)
    const api = path.join(tree, 'repo', 'packages', 'api')
    mkdirSync(api, { recursive: true })
    writeFileSync(path.join(tree, 'repo', 'pnpm-workspace.yaml'), 'packages: [packages/*]\n')
    writeFileSync(path.join(api, 'package-lock.json'), '{}\n')
    expect(resolveCacheDir({ cwd: api })).toBe(
      path.join(tree, 'repo', 'node_modules', '.cache', 'pgtestbed'),
    )
    const loose = path.join(tree, 'loose')
    mkdirSync(loose)
    expect(resolveCacheDir({ cwd: loose })).toBe(
      path.join(loose, 'node_modules', '.cache', 'pgtestbed'),
    )
    expect(resolveCacheDir({ cwd: api, cacheDir: '../.pgcache' })).toBe(
      path.join(tree, 'repo', 'packages', '.pgcache'),
    )
  })

  it.runIf(asRoot)('should fail clearly as root when the OS user cannot be created', async () => {
    const error = await startEmbeddedServer({ cacheDir: shared, osUser: 'no such user!' }).catch(
      (e) => e,
    )
    expect(isPgtestbedError(error) && error.code).toBe('EMBEDDED_START_FAILED')
    expect(error.message).toMatch(
      /^PostgreSQL refuses to run as root, and pgtestbed could not create the OS user "no such user!" to run the embedded server as \(useradd: /,
    )
    expect(error.fix).toContain('useradd --system --user-group no such user!')
    expect(error.fix).toContain('PGTESTBED_URL')
  })

  it.runIf(asRoot)(
    'should give every process the same OS user when several create it at once',
    async () => {
      // What turbo does on a fresh machine: several test runs start together and none finds the
      // account. Concurrent `useradd` runs can lose a write and change the account's uid under
      // the processes that looked it up first.
      const name = `pgtb_t${process.pid}`
      const fixture = await bundleFixture('ensure-user')
      try {
        const runs = await Promise.all(
          Array.from({ length: 6 }, () => execFileAsync(process.execPath, [fixture, name])),
        )
        const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
        const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
        for (const run of runs) expect(JSON.parse(run.stdout)).toEqual({ name, uid, gid })
      } finally {
        spawnSync('userdel', [name])
      }
    },
  )

  it('should fail with EMBEDDED_START_FAILED and a fix on a platform without binaries', async () => {
    const arch = Object.getOwnPropertyDescriptor(process, 'arch')!
    Object.defineProperty(process, 'arch', { value: 'mips' })
    try {
      const error = await startEmbeddedServer({ cacheDir: shared }).catch((e) => e)
      expect(isPgtestbedError(error) && error.code).toBe('EMBEDDED_START_FAILED')
      expect(error.message).toContain('no binaries for this platform (linux-mips)')
      expect(error.fix).toBe(
        'Set PGTESTBED_URL to a PostgreSQL server you can reach, or use Docker (server: "docker").',
      )
    } finally {
      Object.defineProperty(process, 'arch', arch)
    }
  })
})

describe('embedded server run as root with a fresh user', () => {
  it.runIf(asRoot)(
    'should have created the OS user as a system account without a login shell',
    () => {
      const entry = spawnSync('getent', ['passwd', 'pgtestbed'], { encoding: 'utf8' }).stdout.trim()
      expect(entry.split(':')[6]).toMatch(/nologin$/)
      expect(Number(entry.split(':')[2])).toBeLessThan(1000)
    },
  )
})
