import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs'
import path from 'node:path'
import lockfile from 'proper-lockfile'
import { PgtestbedError } from '../../errors.js'
import { withFileLockSync } from '../../internal/file-lock.js'
import { isProcessAlive, processStartTime, sleep } from '../../internal/process-info.js'
import type { ServerPaths } from './paths.js'

/**
 * The state file of a running embedded server. Written by whoever started (or adopted) it, under
 * the lock; trusted only after a connection to `port` confirms the server serves `dataDir`.
 */
export interface ServerState {
  pid: number
  port: number
  dataDir: string
  /** PostgreSQL version of the binaries, e.g. `'17.10'`. */
  version: string
  /** ISO time the server was started or adopted. */
  startedAt: string
}

/** A lock held longer than this without being refreshed belongs to a dead process. */
const LOCK_STALE_MS = 10_000

function lockOptions(paths: ServerPaths) {
  return {
    lockfilePath: paths.lockFile,
    realpath: false,
    stale: LOCK_STALE_MS,
    // Losing the lock (its folder removed by someone deeming it stale) must not crash the
    // process from a timer; the state is re-checked under the next lock anyway.
    onCompromised: () => {},
  }
}

/**
 * Runs `fn` holding the cross-process lock of this server folder. Waits (polling every 25 ms) up
 * to `timeoutMs` while another process holds it, e.g. while it runs initdb.
 *
 * @throws PgtestbedError `EMBEDDED_START_FAILED` when the lock stays busy past the timeout.
 */
export async function withServerLock<T>(
  paths: ServerPaths,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let release: (() => Promise<void>) | undefined
  for (;;) {
    try {
      release = await lockfile.lock(paths.root, lockOptions(paths))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error
      if (Date.now() > deadline) {
        throw new PgtestbedError(
          'EMBEDDED_START_FAILED',
          `timed out after ${timeoutMs} ms waiting for another pgtestbed process to finish starting or stopping the embedded server (lock ${paths.lockFile})`,
          {
            cause: error,
            fix: `If no other pgtestbed process is running, remove ${paths.lockFile} and try again.`,
          },
        )
      }
      await sleep(25)
    }
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => {})
  }
}

/**
 * The synchronous twin of {@link withServerLock}, for exit handlers: busy-waits up to
 * `timeoutMs`, and runs `fn` without the lock if it cannot get it (an exit cannot wait).
 */
export function withServerLockSync<T>(paths: ServerPaths, timeoutMs: number, fn: () => T): T {
  return withFileLockSync(paths.root, lockOptions(paths), timeoutMs, fn)
}

/** The recorded state, or undefined when there is none or it is unreadable. */
export function readState(paths: ServerPaths): ServerState | undefined {
  try {
    const state = JSON.parse(readFileSync(paths.stateFile, 'utf8')) as ServerState
    return Number.isInteger(state.pid) && Number.isInteger(state.port) ? state : undefined
  } catch {
    return undefined
  }
}

/** Records `state` atomically (write to a temporary file, rename). */
export function writeState(paths: ServerPaths, state: ServerState): void {
  const temporary = `${paths.stateFile}.tmp-${process.pid}`
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`)
  renameSync(temporary, paths.stateFile)
}

/** Forgets the recorded state. */
export function removeState(paths: ServerPaths): void {
  rmSync(paths.stateFile, { force: true })
}

interface Lease {
  pid: number
  /** The process's start time when it took the lease; a reused pid will not match. */
  startTime?: string
}

let leaseCounter = 0

/** Records that this process uses the server; returns the lease file. */
export function takeLease(paths: ServerPaths): string {
  const file = path.join(
    paths.leasesDir,
    `${process.pid}-${++leaseCounter}-${randomBytes(3).toString('hex')}.json`,
  )
  const lease: Lease = { pid: process.pid, startTime: processStartTime(process.pid) }
  // Written whole under another name first: a reader never sees half a lease.
  writeFileSync(`${file}.tmp`, JSON.stringify(lease))
  renameSync(`${file}.tmp`, file)
  return file
}

/** Removes a lease file (idempotent). */
export function dropLease(file: string): void {
  rmSync(file, { force: true })
}

function leaseIsLive(lease: Lease): boolean {
  if (!isProcessAlive(lease.pid)) return false
  return lease.startTime === undefined || processStartTime(lease.pid) === lease.startTime
}

/**
 * The lease files of live processes. Leases of processes that died (killed, crashed) are deleted
 * on the way: they must not keep the server up.
 */
export function liveLeases(paths: ServerPaths): string[] {
  let names: string[]
  try {
    names = readdirSync(paths.leasesDir)
  } catch {
    return []
  }
  const live: string[] = []
  for (const name of names) {
    const file = path.join(paths.leasesDir, name)
    if (name.endsWith('.tmp')) {
      if (!isProcessAlive(Number(name.split('-')[0]))) rmSync(file, { force: true })
      continue
    }
    let lease: Lease | undefined
    try {
      lease = JSON.parse(readFileSync(file, 'utf8')) as Lease
    } catch {
      lease = undefined
    }
    if (lease && leaseIsLive(lease)) live.push(file)
    else rmSync(file, { force: true })
  }
  return live
}
