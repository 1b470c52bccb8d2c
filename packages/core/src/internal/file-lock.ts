import lockfile from 'proper-lockfile'
import { sleepSync } from './process-info.js'

/** Where the lock lives and when a lock nobody refreshes counts as a dead process's. */
export interface FileLockOptions {
  /** The lock folder; default `<target>.lock`. */
  lockfilePath?: string
  /** Milliseconds after which an unrefreshed lock is stale. */
  stale: number
}

/**
 * Runs `fn` holding a cross-process lock on `target` (proper-lockfile), busy-waiting up to
 * `timeoutMs` while another process holds it. For synchronous callers (exit handlers, creating
 * an OS account): past the timeout `fn` runs without the lock rather than not at all.
 */
export function withFileLockSync<T>(
  target: string,
  options: FileLockOptions,
  timeoutMs: number,
  fn: () => T,
): T {
  const deadline = Date.now() + timeoutMs
  let release: (() => void) | undefined
  while (release === undefined && Date.now() < deadline) {
    try {
      // Losing the lock (its folder removed by someone deeming it stale) must not crash the
      // process from a timer.
      release = lockfile.lockSync(target, { ...options, realpath: false, onCompromised: () => {} })
    } catch {
      sleepSync(10)
    }
  }
  try {
    return fn()
  } finally {
    try {
      release?.()
    } catch {
      // Already released (signal-exit hooks in proper-lockfile run on exit too).
    }
  }
}
