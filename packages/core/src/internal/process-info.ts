import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const onLinux = process.platform === 'linux'

/** Fields of `/proc/<pid>/stat` after the command name (state is field 3). */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/**
 * True when a process with this pid exists and has not exited. A zombie (exited, not yet reaped:
 * common in containers whose init does not reap orphans) counts as dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (onLinux) {
    const stat = procStat(pid)
    if (stat === undefined) return false
    return stat[0] !== 'Z' && stat[0] !== 'X'
  }
  return true
}

/**
 * When the process started, as an opaque token (Linux: clock ticks since boot), or undefined where
 * it cannot be read. A recorded pid whose start time changed belongs to another process now.
 */
export function processStartTime(pid: number): string | undefined {
  if (!onLinux) return undefined
  // Field 22 of /proc/<pid>/stat; index 19 after dropping pid and command name.
  return procStat(pid)?.[19]
}

/** The process's command line, or undefined when it is gone or unreadable. */
export function processCommandLine(pid: number): string | undefined {
  if (!isProcessAlive(pid)) return undefined
  if (onLinux) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
    } catch {
      return undefined
    }
  }
  try {
    return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread for `ms` milliseconds (only for exit handlers, where nothing async runs). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms)
}
