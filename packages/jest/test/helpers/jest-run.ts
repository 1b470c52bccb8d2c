import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, cpSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const PACKAGE_DIR = path.resolve(import.meta.dirname, '../..')
const FIXTURES = path.join(PACKAGE_DIR, 'test/fixtures')

/** The Jest major a fixture runs with: 30 (this package's Jest) or 29 (the `test/jest29` lane). */
export type Lane = 29 | 30

/** Where fixture copies live: inside the lane's package, so `jest`, `pg`… resolve from there. */
function runsDir(lane: Lane): string {
  return lane === 29
    ? path.join(PACKAGE_DIR, 'test/jest29/.runs')
    : path.join(PACKAGE_DIR, 'test/.runs')
}

export { SERVER_URL } from '@pgtestbed/test-support'

/** A scratch copy of a fixture project. Remove it with {@link FixtureCopy.remove}. */
export interface FixtureCopy {
  dir: string
  lane: Lane
  remove(): void
}

/**
 * Copies `test/fixtures/<name>` into a fresh folder inside the lane's package. A random comment
 * is appended to every `.sql` file when `unique` (the default), so the copy gets a template of its
 * own (first run: built; no two tests share one). For Jest 30 the copy gets a
 * `node_modules/@pgtestbed/jest` link to this package (the Jest 29 lane depends on it already).
 */
export function copyFixture(name: string, lane: Lane = 30, unique = true): FixtureCopy {
  const dir = path.join(runsDir(lane), `${name}-${randomBytes(4).toString('hex')}`)
  mkdirSync(path.dirname(dir), { recursive: true })
  cpSync(path.join(FIXTURES, name), dir, { recursive: true })
  if (unique) salt(dir, randomBytes(8).toString('hex'))
  if (lane === 30) {
    mkdirSync(path.join(dir, 'node_modules/@pgtestbed'), { recursive: true })
    symlinkSync(PACKAGE_DIR, path.join(dir, 'node_modules/@pgtestbed/jest'), 'dir')
  }
  return {
    dir,
    lane,
    remove() {
      rmSync(dir, { recursive: true, force: true })
      // Leave no empty .runs folder behind either (another test may still be using it).
      try {
        if (readdirSync(runsDir(lane)).length === 0) rmSync(runsDir(lane), { recursive: true })
      } catch {
        // already gone, or not empty any more
      }
    },
  }
}

function salt(dir: string, value: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.sql')) continue
    appendFileSync(path.join(entry.parentPath, entry.name), `\n-- e2e ${value}\n`)
  }
}

/** What one Jest run did. */
export interface JestResult {
  code: number | null
  stdout: string
  stderr: string
  /** The pid of the Jest main process (its workers have other pids). */
  pid: number
}

/** Options of {@link runJest}. */
export interface RunJestOptions {
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>
  /** Kill the run (by pid) after this long. Default: 90 s. */
  timeoutMs?: number
}

/** This process's environment without pgtestbed, database and runner variables, plus `extra`. */
function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(PGTESTBED_|DATABASE_URL$|PG[A-Z]+$|VITEST|JEST_)/.test(key))
      continue
    env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  env.FORCE_COLOR = '0'
  env.NO_COLOR = '1'
  return env
}

/**
 * Runs the lane's real `jest` CLI in `copy.dir`. The environment starts clean of pgtestbed and
 * database variables (plus `env`); `PGTESTBED_URL` must be passed to use the machine's server.
 */
export function runJest(
  copy: FixtureCopy,
  args: string[],
  options: RunJestOptions = {},
): Promise<JestResult> {
  const require = createRequire(path.join(copy.dir, 'noop.js'))
  const bin = require.resolve('jest/bin/jest')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '--ci', ...args], {
      cwd: copy.dir,
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL')
    }, options.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, pid: child.pid ?? -1 })
    })
  })
}

/** A Jest process left running (watch mode): its output so far, and a way to wait for more. */
export interface RunningJest {
  pid: number
  output(): string
  /** Resolves once `pattern` has matched `count` times in stdout + stderr. */
  waitFor(pattern: RegExp, count?: number, timeoutMs?: number): Promise<void>
  /** Ends it by pid and resolves when it has exited. */
  stop(): Promise<void>
}

/** Starts the lane's `jest` in `copy.dir` and leaves it running (for `--watchAll`). */
export function startJest(
  copy: FixtureCopy,
  args: string[],
  options: RunJestOptions = {},
): RunningJest {
  const require = createRequire(path.join(copy.dir, 'noop.js'))
  const child = spawn(process.execPath, [require.resolve('jest/bin/jest'), '--ci', ...args], {
    cwd: copy.dir,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    text += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return {
    pid: child.pid ?? -1,
    output: () => text,
    waitFor(pattern, count = 1, timeoutMs = 60_000) {
      const global = new RegExp(
        pattern.source,
        pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
      )
      const done = () => (text.match(global)?.length ?? 0) >= count
      return new Promise((resolve, reject) => {
        if (done()) return resolve()
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`timed out waiting for ${pattern} ×${count}; output:\n${text}`))
        }, timeoutMs)
        const check = () => {
          if (!done()) return
          clearTimeout(timer)
          listeners.delete(check)
          resolve()
        }
        listeners.add(check)
      })
    },
    async stop() {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM')
      await exited
    },
  }
}
