import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import { connectPg } from '../../internal/pg-connect.js'
import { isProcessAlive, processCommandLine, sleep } from '../../internal/process-info.js'
import type { EmbeddedBinaries } from './binaries.js'
import type { OsUser } from './user.js'
import { settingsToArgs, type PostgresSettingValue } from '../settings.js'

/** The superuser of the embedded cluster (trust auth, 127.0.0.1 only). */
const EMBEDDED_SUPERUSER = 'postgres'

const START_FIX =
  'Look at the server log named above; run `pgtestbed server stop --force --remove-data` to start from scratch (it deletes the data, in memory or in the cache folder), or set PGTESTBED_URL to use another server.'

/** A clean, English environment for PostgreSQL programs: log lines are parsed. */
function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC' }
}

/** The admin URL of the embedded server on `port`. */
export function embeddedAdminUrl(port: number): string {
  return `postgres://${EMBEDDED_SUPERUSER}@127.0.0.1:${port}/postgres`
}

function run(
  file: string,
  args: string[],
  user: OsUser | undefined,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

/**
 * Removes the sibling folders `<dataDir>.<step>-…` that a crashed `step` (initdb, a seed from the
 * template cache) left. Call under the server lock: no other process is making one then.
 */
export async function removeUnfinished(dataDir: string, step: 'init' | 'seed'): Promise<void> {
  const parent = path.dirname(dataDir)
  for (const name of await fs.readdir(parent)) {
    if (name.startsWith(`${path.basename(dataDir)}.${step}-`)) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true })
    }
  }
}

/**
 * Creates the cluster in `dataDir` unless it exists (`PG_VERSION` present). initdb runs in a
 * sibling temporary folder that is renamed into place only when it succeeded, so a crash
 * mid-initdb never leaves a half-made cluster that a later run would trust. Call under the lock.
 *
 * Cluster choices: superuser `postgres`, trust auth (the server only listens on 127.0.0.1),
 * UTF8 with locale C (works on hosts without en_US.UTF-8, and sorts like the C locale everywhere),
 * no fsync during initdb.
 *
 * @returns true when it ran initdb.
 */
export async function initCluster(
  binaries: EmbeddedBinaries,
  dataDir: string,
  user: OsUser | undefined,
): Promise<boolean> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return false
  // Leftovers of an initdb that crashed, or a data folder without PG_VERSION: ours, never valid.
  await removeUnfinished(dataDir, 'init')
  await fs.rm(dataDir, { recursive: true, force: true })
  const temporary = `${dataDir}.init-${process.pid}-${randomBytes(4).toString('hex')}`
  await fs.mkdir(temporary, { mode: 0o700 })
  if (user) await fs.chown(temporary, user.uid, user.gid)
  const args = ['-D', temporary, '-U', EMBEDDED_SUPERUSER, '--auth=trust', '--encoding=UTF8']
  args.push('--locale=C', '--no-sync', '--no-instructions')
  const result = await run(binaries.initdb, args, user).catch((error: Error) => ({
    code: -1,
    output: error.message,
  }))
  if (result.code !== 0) {
    await fs.rm(temporary, { recursive: true, force: true })
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `initdb failed for the embedded PostgreSQL ${binaries.version} in ${dataDir}: ${result.output.trim()}`,
      { fix: START_FIX },
    )
  }
  await fs.rename(temporary, dataDir)
  return true
}

/** What `postmaster.pid` says about a server running (or once running) on a data folder. */
export interface PostmasterInfo {
  pid: number
  port: number
  /** `starting`, `stopping`, `ready` or `standby` (PostgreSQL 10+). */
  status: string
}

/** Reads `<dataDir>/postmaster.pid`, or undefined when there is none. */
export function readPostmasterPid(dataDir: string): PostmasterInfo | undefined {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() }
  } catch {
    return undefined
  }
}

/** True when `pid` is a live `postgres` process serving `dataDir`. */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  const command = processCommandLine(pid)
  if (command === undefined) return false
  if (process.platform === 'win32') return true
  return /postgres/.test(command) && command.includes(dataDir)
}

/** A port the OS considers free on 127.0.0.1 right now (it may be taken before we bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}

/** What {@link probeServer} learnt from a server that serves the expected data folder. */
export interface ProbedServer {
  /** `server_version_num`, e.g. 170010. */
  versionNum: number
  /** Its `fsync` setting. */
  fsync: boolean
}

/** Checks that a server answers on `port` and serves `dataDir`; returns its version and fsync. */
export async function probeServer(
  port: number,
  dataDir: string,
  timeoutMs = 2000,
): Promise<ProbedServer | undefined> {
  let client
  try {
    client = await connectPg(embeddedAdminUrl(port), { timeoutMs })
    const { rows } = await client.query<{ dir: string; num: string; fsync: string }>(
      `SELECT current_setting('data_directory') AS dir, current_setting('server_version_num') AS num,
              current_setting('fsync') AS fsync`,
    )
    const row = rows[0]
    if (!row) return undefined
    const same = (await fs.realpath(row.dir).catch(() => row.dir)) === (await fs.realpath(dataDir))
    return same ? { versionNum: Number(row.num), fsync: row.fsync !== 'off' } : undefined
  } catch {
    return undefined
  } finally {
    await client?.end().catch(() => {})
  }
}

/** Options for {@link startPostmaster}. */
export interface StartPostmasterOptions {
  binaries: EmbeddedBinaries
  dataDir: string
  logFile: string
  user: OsUser | undefined
  /** A fixed port; otherwise a free one, with retries when another process takes it first. */
  port: number | undefined
  settings: Readonly<Record<string, PostgresSettingValue>>
  timeoutMs: number
}

/** A server this process started. */
export interface StartedPostmaster extends ProbedServer {
  pid: number
  port: number
}

/**
 * Starts `postgres` on `dataDir`, detached (its own session, output to `logFile`), so it outlives
 * this process: other processes may still use it. Readiness is a successful connection, polled
 * every 20 ms (faster than `pg_ctl -w`). When the OS-chosen port is taken between choosing and
 * binding, tries again with another port (up to 5 times).
 */
export async function startPostmaster(options: StartPostmasterOptions): Promise<StartedPostmaster> {
  const attempts = options.port === undefined ? 5 : 1
  let lastLog = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await freePort())
    const args = ['-D', options.dataDir, '-p', String(port)]
    args.push('-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=')
    args.push(...settingsToArgs(options.settings))
    const log = openSync(options.logFile, 'w')
    let child
    try {
      child = spawn(options.binaries.postgres, args, {
        detached: true,
        env: childEnv(),
        stdio: ['ignore', log, log],
        ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
      })
    } finally {
      closeSync(log)
    }
    child.unref()
    let exited = false
    child.on('exit', () => (exited = true))
    child.on('error', () => (exited = true))
    const deadline = Date.now() + options.timeoutMs
    while (!exited && Date.now() < deadline) {
      const probed = await probeServer(port, options.dataDir, 1000)
      if (probed !== undefined && child.pid !== undefined) {
        return { pid: child.pid, port, ...probed }
      }
      await sleep(20)
    }
    lastLog = await fs.readFile(options.logFile, 'utf8').catch(() => '')
    if (!exited) {
      if (child.pid !== undefined) await stopPostmaster(child.pid, options.dataDir)
      throw new PgtestbedError(
        'EMBEDDED_START_FAILED',
        `the embedded PostgreSQL server did not accept connections on 127.0.0.1:${port} within ${options.timeoutMs} ms (log: ${options.logFile})`,
        { fix: START_FIX },
      )
    }
    if (!/could not bind|Address already in use/i.test(lastLog)) break
  }
  throw new PgtestbedError(
    'EMBEDDED_START_FAILED',
    `the embedded PostgreSQL server on ${options.dataDir} exited during start-up (log: ${options.logFile}): ${lastLog.trim().split('\n').slice(-5).join(' | ')}`,
    { fix: START_FIX },
  )
}

/**
 * Stops the server `pid` on `dataDir`: fast shutdown (SIGINT: active sessions are cut, nothing is
 * lost that matters for tests), then immediate shutdown (SIGQUIT) and SIGKILL if it lingers.
 * Only signals `pid` while it still is a postgres process on `dataDir` (pids get reused).
 */
export async function stopPostmaster(pid: number, dataDir: string): Promise<void> {
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 15_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ]
  for (const [signal, waitMs] of steps) {
    if (!isPostmasterOf(pid, dataDir)) return
    try {
      process.kill(pid, signal)
    } catch {
      return
    }
    const deadline = Date.now() + waitMs
    while (Date.now() < deadline) {
      if (!isProcessAlive(pid)) return
      await sleep(20)
    }
  }
}
