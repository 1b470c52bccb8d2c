import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import { PgtestbedError } from '../errors.js'
import { connectClient, describeUrl } from './admin.js'
import { hostIdentity } from './host.js'

/** How long a process waits for another one's template build. Default of `lockTimeoutMs`: 5 min. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5 * 60_000

/** The session holding a template lock, as `pg_stat_activity` shows it. */
export interface LockHolder {
  pid: number
  applicationName: string
  clientAddress: string | null
  /** When the holder's connection started (it takes the lock right after connecting). */
  since: Date | null
}

/** Options for {@link acquireTemplateLock}. */
export interface AcquireLockOptions {
  /** Give up after this long. Default: {@link DEFAULT_LOCK_TIMEOUT_MS} (5 minutes). */
  timeoutMs?: number
  /** Called (at most once per second) while another session holds the lock. */
  onWait?: (holder: LockHolder | undefined) => void
}

/** A held template lock; `release()` unlocks and closes its connection (idempotent). */
export interface TemplateLock {
  release(): Promise<void>
}

/**
 * The advisory-lock key of a template: 64 bits of SHA-256 over the name, as a signed bigint
 * string. Split into `pg_locks.classid` (high 32 bits) and `objid` (low 32 bits).
 */
export function lockKeyFor(templateName: string): { key: string; classid: number; objid: number } {
  const digest = createHash('sha256').update(`pgtestbed.template-lock:${templateName}`).digest()
  const key = digest.readBigInt64BE(0)
  return { key: key.toString(), classid: digest.readUInt32BE(0), objid: digest.readUInt32BE(4) }
}

/** Reads who holds the template lock, if anyone. */
async function findLockHolder(
  client: pg.ClientBase,
  templateName: string,
): Promise<LockHolder | undefined> {
  const { classid, objid } = lockKeyFor(templateName)
  const { rows } = await client.query<{
    pid: number
    application_name: string
    client_addr: string | null
    backend_start: Date | null
  }>(
    `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1
      LIMIT 1`,
    [classid, objid],
  )
  const row = rows[0]
  if (!row) return undefined
  return {
    pid: row.pid,
    applicationName: row.application_name,
    clientAddress: row.client_addr,
    since: row.backend_start,
  }
}

/** `backend pid 123 ("pgtestbed lock pid=77 …", from 10.0.0.3) since 12:00:01Z`. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'a session that has since gone'
  const from = holder.clientAddress ? `, from ${holder.clientAddress}` : ''
  const since = holder.since ? ` since ${holder.since.toISOString()}` : ''
  return `backend pid ${holder.pid} ("${holder.applicationName}"${from})${since}`
}

/**
 * Takes the cross-process lock for building `templateName`: a session advisory lock on a
 * dedicated connection, so a crashed holder releases it when its connection drops.
 *
 * Waiters poll `pg_try_advisory_lock` instead of blocking in `pg_advisory_lock`: a backend
 * blocked in a lock wait is invisible to the client, cannot time out cleanly and has caused
 * hour-long hangs when the holder itself waited on something (prior-art §9). The connection's
 * `application_name` names this process (pid, host), so a waiter that times out can say who holds it.
 *
 * @example
 * const lock = await acquireTemplateLock(adminUrl, 'pgtestbed_tpl_ab12…', { timeoutMs: 60_000 })
 * try { … } finally { await lock.release() }
 * @throws PgtestbedError TEMPLATE_LOCK_TIMEOUT naming the holder.
 */
export async function acquireTemplateLock(
  adminUrl: string,
  templateName: string,
  options: AcquireLockOptions = {},
): Promise<TemplateLock> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
  const { key } = lockKeyFor(templateName)
  const client = await connectClient(adminUrl, 'lock')
  const label = `pgtestbed lock pid=${process.pid} at ${new Date().toISOString().slice(0, 19)}Z on ${hostIdentity().host}`
  const started = Date.now()
  let lastWaitReport = 0
  let delay = 25
  try {
    await client.query(`SELECT set_config('application_name', $1, false)`, [label.slice(0, 63)])
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [key],
      )
      if (rows[0]?.locked) break
      if (Date.now() - started >= timeoutMs) {
        const holder = await findLockHolder(client, templateName)
        throw new PgtestbedError(
          'TEMPLATE_LOCK_TIMEOUT',
          `gave up after ${Math.round(timeoutMs / 1000)} s waiting for the lock on template "${templateName}" on ${describeUrl(adminUrl)}: it is held by ${describeHolder(holder)}`,
          {
            fix:
              'Another process is building this template. Wait for it, or stop it ' +
              `(SELECT pg_terminate_backend(${holder?.pid ?? '<pid>'})), or raise lockTimeoutMs.`,
          },
        )
      }
      if (options.onWait && Date.now() - lastWaitReport >= 1000) {
        lastWaitReport = Date.now()
        options.onWait(await findLockHolder(client, templateName))
      }
      // Jittered back-off from 25 ms to 250 ms: quick hand-over without hammering the server.
      await sleep(delay + Math.random() * delay)
      delay = Math.min(delay * 2, 250)
    }
  } catch (error) {
    await client.end().catch(() => {})
    throw error
  }
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      // Closing the session releases the lock too; unlocking first makes the hand-over immediate.
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {})
      await client.end().catch(() => {})
    },
  }
}
