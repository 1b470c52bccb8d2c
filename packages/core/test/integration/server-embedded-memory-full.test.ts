import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { memoryRootFor } from '../../src/servers/embedded/memory.js'
import { startEmbeddedServer } from '../../src/servers/embedded/server.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { startTestbed } from '../../src/testbed/start.js'
import { gooseMigration, gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { cleanupCacheDir, recordingReporter, tempCacheDir } from '../helpers/servers.js'

const MiB = 1024 ** 2

/** Mounts a tmpfs of `size` at a fresh folder, or returns undefined where that is not allowed. */
function mountTmpfs(size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-small-shm-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=1777`, 'tmpfs', dir])
  if (mounted.status === 0) return dir
  rmSync(dir, { recursive: true, force: true })
  return undefined
}

function unmount(dir: string | undefined): void {
  if (dir === undefined) return
  spawnSync('umount', [dir])
  rmSync(dir, { recursive: true, force: true })
}

/** A fake stopped server's data in `memoryDir`, `mib` MiB big, owned by a cache folder. */
function stoppedRoot(memoryDir: string, cacheDir: string, mib: number): string {
  mkdirSync(path.join(cacheDir, 'embedded'), { recursive: true })
  const root = memoryRootFor(memoryDir, cacheDir)
  mkdirSync(path.join(root, 'pg18', 'data'), { recursive: true })
  writeFileSync(path.join(root, 'owner.json'), JSON.stringify({ cacheDir }))
  execFileSync('fallocate', ['-l', `${mib}M`, path.join(root, 'pg18', 'data', 'filler')])
  return root
}

// A real small tmpfs (only where this process may mount one: root on Linux) stands for a full
// /dev/shm, so nothing here fills the machine's.
const probe = mountTmpfs('1m')
unmount(probe)

describe.runIf(probe !== undefined)('a full memory folder', () => {
  let small: string | undefined
  let project: GooseProject
  const caches: string[] = []
  const cache = () => {
    const dir = tempCacheDir()
    caches.push(dir)
    return dir
  }

  beforeAll(async () => {
    project = await gooseProject({ migrations: 2 })
  })

  afterAll(async () => {
    await closeAdminPools()
    for (const dir of caches) await cleanupCacheDir(dir)
    unmount(small)
    await project.cleanup().catch(() => {})
  })

  it('should fail with MEMORY_FULL, saying whose data fills it, when memory storage is asked for and the folder is short', async () => {
    const tiny = mountTmpfs('64m')!
    try {
      const other = cache()
      stoppedRoot(tiny, other, 8)
      // Kept databases make that stopped server's data untouchable.
      mkdirSync(path.join(other, 'embedded', 'pg18'), { recursive: true })
      writeFileSync(
        path.join(other, 'embedded', 'pg18', 'kept.json'),
        JSON.stringify({ databases: ['pgtestbed_c_0123456789ab_0123456789abcdef'] }),
      )
      const error = await startEmbeddedServer({
        cacheDir: cache(),
        memoryDir: tiny,
        storage: 'memory',
      }).catch((e: unknown) => e)
      expect(isPgtestbedError(error) && error.code).toBe('MEMORY_FULL')
      expect((error as Error).message).toMatch(
        new RegExp(
          `^cannot start the embedded server with its data in memory \\(embedded\\.storage 'memory' wants 1\\.0 GiB free\\): the embedded server keeps its data in memory and ${tiny} is full \\(\\d+ MiB free of 64 MiB\\); pgtestbed's data folders there take 8 MiB: 8 MiB ${other} \\(stopped, 1 kept database\\(s\\)\\)$`,
        ),
      )
      expect((error as { fix?: string }).fix).toBe(
        "Free memory: stop the servers listed and delete their data (`pgtestbed server stop --remove-data` in their workspace, or with `--cache-dir <folder>`); lower embedded.memoryBudget (or PGTESTBED_EMBEDDED_MEMORY_BUDGET) so that pgtestbed evicts unused data sooner; or keep the data on disk: embedded.storage 'disk' (or PGTESTBED_EMBEDDED_STORAGE=disk).",
      )
    } finally {
      unmount(tiny)
    }
  })

  it("should evict stopped servers' data to make room for a new cluster, then fail a clone and a build that do not fit with MEMORY_FULL", async () => {
    small = mountTmpfs('1100m')!
    chmodSync(small, 0o1777)
    const other = cache()
    const otherRoot = stoppedRoot(small, other, 200)
    const cacheDir = cache()
    const reporter = recordingReporter()
    const server = await startEmbeddedServer({ cacheDir, memoryDir: small, reporter })
    try {
      expect(server.storage.medium).toBe('memory')
      expect(existsSync(otherRoot)).toBe(false)
      expect(reporter.lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^info ${small} had \\d+ MiB free, less than the 1\\.0 GiB a new cluster wants: evicted the stopped server of ${other} \\(200 MiB, last used \\d+ min ago\\); freed 200 MiB$`,
          ),
        ),
      )

      const testbed = await startTestbed({
        server: 'embedded',
        cacheDir,
        cwd: project.cwd,
        env: {},
        sweep: false,
        embedded: { memoryDir: small },
      })
      try {
        // Fill the folder but for a few MiB: a clone, and a new template, cannot fit.
        const { bavail, bsize } = statfsSync(small)
        execFileSync('fallocate', [
          '-l',
          String(bavail * bsize - 2 * MiB),
          path.join(small, 'filler'),
        ])
        const cloneError = await testbed.clone({ label: 'full.test.ts' }).catch((e: unknown) => e)
        expect(isPgtestbedError(cloneError) && cloneError.code).toBe('MEMORY_FULL')
        expect((cloneError as Error).message).toMatch(
          new RegExp(
            `^could not clone template "${testbed.template.name}": the embedded server keeps its data in memory and that folder \\(/dev/shm, or embedded\\.memoryDir\\) is full \\(.*\\)$`,
          ),
        )
        expect((cloneError as { fix?: string }).fix).toMatch(
          /^`pgtestbed server status` shows how full it is/,
        )

        await project.write('00003_more.sql', gooseMigration(3))
        const buildError = await testbed.refresh().catch((e: unknown) => e)
        expect(isPgtestbedError(buildError) && buildError.code).toBe('MEMORY_FULL')
        expect((buildError as Error).message).toMatch(
          new RegExp(
            `^building template pgtestbed_tpl_[0-9a-f]{32}: the embedded server keeps its data in memory and ${small} is full \\(\\d+ (KiB|MiB) free of 1\\.1 GiB\\); pgtestbed's data folders there take \\d+ MiB: \\d+ MiB ${cacheDir} \\(running\\)$`,
          ),
        )
      } finally {
        await testbed.close()
      }
    } finally {
      await server.release().catch(() => {})
    }
  })
})
