import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedServer } from '../../src/servers/embedded/server.js'
import {
  bundleFixture,
  cleanupCacheDir,
  eventually,
  portOpen,
  processesMentioning,
  spawnAttach,
  tempCacheDir,
  type AttachChild,
} from '../helpers/servers.js'

// Several processes share one embedded server: each test runs real child processes (attach.ts,
// bundled)
// against its own cache folder, and ends with no server and no child left.
describe('embedded server shared across processes', () => {
  const cacheDirs: string[] = []
  const children: AttachChild[] = []
  let bundle: string
  let seed: string

  beforeAll(async () => {
    bundle = await bundleFixture('attach')
    // initdb once; each test starts from a copy of this stopped cluster.
    seed = tempCacheDir()
    await (await startEmbeddedServer({ cacheDir: seed })).release()
  })

  afterAll(async () => {
    rmSync(bundle, { force: true })
    await cleanupCacheDir(seed)
  })

  function cache(): string {
    const dir = tempCacheDir(seed)
    cacheDirs.push(dir)
    return dir
  }

  function attach(cacheDir: string): AttachChild {
    const child = spawnAttach(bundle, cacheDir)
    children.push(child)
    return child
  }

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGKILL')
        await child.exited
      }
    }
    for (const dir of cacheDirs.splice(0)) await cleanupCacheDir(dir)
  })

  async function expectStopped(dataDir: string, port: number) {
    expect(await eventually(() => processesMentioning(dataDir).length === 0)).toBe(true)
    expect(await portOpen(port)).toBe(false)
  }

  it('should attach 4 processes started at once to ONE server, and stop it when the last one releases', async () => {
    const dir = cache()
    const group = [attach(dir), attach(dir), attach(dir), attach(dir)]
    const infos = await Promise.all(group.map((child) => child.attached))

    expect(new Set(infos.map((info) => info.pid)).size).toBe(1)
    expect(new Set(infos.map((info) => info.port)).size).toBe(1)
    expect(infos.filter((info) => info.started)).toHaveLength(1)
    const { pid, port, dataDir } = infos[0]!
    expect(processesMentioning(dataDir)).toEqual([pid])

    for (const child of group.slice(0, 3)) {
      child.send('release')
      expect(await child.exited).toBe(0)
    }
    expect(await portOpen(port)).toBe(true)

    group[3]!.send('release')
    expect(await group[3]!.exited).toBe(0)
    await expectStopped(dataDir, port)
  })

  it('should stop the server when its last user exits without releasing', async () => {
    const dir = cache()
    const child = attach(dir)
    const { dataDir, port } = await child.attached
    child.send('exit')
    expect(await child.exited).toBe(0)
    await expectStopped(dataDir, port)
  })

  it('should release on SIGTERM and still end the process by that signal', async () => {
    const dir = cache()
    const child = attach(dir)
    const { dataDir, port } = await child.attached
    child.process.kill('SIGTERM')
    expect(await child.exited).toBe('SIGTERM')
    await expectStopped(dataDir, port)
  })

  it('should keep the server running after release({ keepRunning }) until the next run lets go', async () => {
    const dir = cache()
    const first = attach(dir)
    const { pid, port, dataDir } = await first.attached
    first.send('keep')
    expect(await first.exited).toBe(0)
    expect(await portOpen(port)).toBe(true)

    const next = await startEmbeddedServer({ cacheDir: dir })
    expect(next.started).toBe(false)
    expect(next.pid).toBe(pid)
    await next.release()
    await expectStopped(dataDir, port)
  })

  it('should adopt the server of a holder killed with SIGKILL, and stop it as the last user', async () => {
    const dir = cache()
    const holder = attach(dir)
    const { pid, port, dataDir } = await holder.attached
    holder.process.kill('SIGKILL')
    await holder.exited
    // The server outlives its starter (it is detached); the dead holder's lease must not count.
    expect(processesMentioning(dataDir)).toEqual([pid])

    const server = await startEmbeddedServer({ cacheDir: dir })
    expect(server.started).toBe(false)
    expect(server.pid).toBe(pid)
    expect(server.port).toBe(port)
    await server.release()
    await expectStopped(dataDir, port)
  })

  it('should adopt an orphaned server found through postmaster.pid when the state file is gone', async () => {
    const dir = cache()
    const holder = attach(dir)
    const { pid, port, dataDir } = await holder.attached
    holder.process.kill('SIGKILL')
    await holder.exited
    rmSync(path.join(dir, 'embedded', 'pg18', 'server.json'))

    const server = await startEmbeddedServer({ cacheDir: dir })
    expect(server.started).toBe(false)
    expect(server.pid).toBe(pid)
    await server.release()
    await expectStopped(dataDir, port)
  })

  it('should start afresh when both the holder and the server were killed (stale state and postmaster.pid)', async () => {
    const dir = cache()
    const holder = attach(dir)
    const { pid, dataDir } = await holder.attached
    holder.process.kill('SIGKILL')
    process.kill(pid, 'SIGKILL')
    await holder.exited
    expect(await eventually(() => processesMentioning(dataDir).length === 0)).toBe(true)

    const server = await startEmbeddedServer({ cacheDir: dir })
    expect(server.started).toBe(true)
    expect(server.pid).not.toBe(pid)
    const { port } = server
    await server.release()
    await expectStopped(dataDir, port)
  })
})
