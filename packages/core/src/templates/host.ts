import { readlinkSync } from 'node:fs'
import os from 'node:os'

let cached: HostIdentity | undefined

/**
 * Who this process is, as written into ownership records. `pidNamespace` separates containers
 * that share a hostname (`--network host`) but not their process ids: a pid is only checked for
 * liveness when both the hostname and the namespace match.
 */
export interface HostIdentity {
  host: string
  pidNamespace: string | undefined
}

/** This machine's identity (cached). */
export function hostIdentity(): HostIdentity {
  if (cached) return cached
  let pidNamespace: string | undefined
  try {
    // Linux: 'pid:[4026531836]'; the inode identifies the pid namespace.
    pidNamespace = readlinkSync('/proc/self/ns/pid')
  } catch {
    pidNamespace = undefined
  }
  cached = { host: os.hostname(), pidNamespace }
  return cached
}

/** True when `host`/`pidNamespace` describe this machine (so its pids can be checked here). */
export function isSameHost(host: string, pidNamespace: string | undefined): boolean {
  const me = hostIdentity()
  return host === me.host && (pidNamespace ?? '') === (me.pidNamespace ?? '')
}

/**
 * True when a process with this pid exists on this machine (zombies count as dead). A recycled
 * pid reads as alive, which only delays a sweep (the TTL still applies), never drops a live
 * process's database.
 */
export { isProcessAlive } from '../internal/process-info.js'
