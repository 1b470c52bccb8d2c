import type pg from 'pg'
import type { Reporter } from '../progress.js'
import { connectClient, withAdminClient, type Queryable } from './admin.js'
import { cloneInto } from './clone.js'
import { dropDatabase } from './drop.js'
import { isSameHost } from './host.js'
import { KIND_PREFIXES, poolNameFor, poolNamePrefixFor } from './naming.js'
import { checkOwnership, listDatabases, newRecord, type DatabaseEntry } from './ownership.js'
import { POOL_CHANNEL } from './pool-claim.js'

/** How often the pool re-counts its databases when no NOTIFY arrives. */
const POLL_MS = 1_000

/** Options for {@link ClonePool}. */
export interface ClonePoolOptions {
  adminUrl: string
  /** The template whose clones the pool keeps ready. */
  template: string
  /** Project key for the pool databases' records. */
  project: string
  /** How many ready databases to keep. */
  size: number
  /** Resolved clone strategy (`null` on PostgreSQL ≤ 14). */
  cloneStrategy: 'wal_log' | 'file_copy' | null
  /** Where problems are reported (a failing refill is a warning, never fatal). Default: silent. */
  reporter?: Reporter
}

/** The socket under a `pg.Client` (not public API; absent in other drivers). */
function socketOf(client: pg.Client): { ref?: () => void; unref?: () => void } | undefined {
  return (
    client as unknown as { connection?: { stream?: { ref?: () => void; unref?: () => void } } }
  ).connection?.stream
}

/** True for a ready pool database of `template` (it passes the ownership check as a pool of it). */
function isPoolOf(entry: DatabaseEntry, template: string): boolean {
  const verdict = checkOwnership(entry)
  return (
    verdict.owned &&
    verdict.record.kind === 'pool' &&
    verdict.record.template === template &&
    !entry.isTemplate
  )
}

/**
 * Keeps `size` clones of the template ready in the background, so a test file gets its database
 * with one rename instead of a copy. Test workers claim them with `claimPooledDatabase` (through
 * `createClone` with `pool: true`); the pool refills after each claim (woken by the claim's NOTIFY,
 * with a 1 s poll as a fallback). Several processes may run a pool for the same template: each
 * tops up the shared count and, on close, drops only the unclaimed databases it created.
 *
 * It also drops, beside the refills, the clones of its project that test files released
 * (`releaseToPool`), so a file does not wait for its own `DROP DATABASE`; on close it drops
 * those left.
 *
 * @example
 * const pool = new ClonePool({ adminUrl, template, project, size: 4, cloneStrategy: 'wal_log' })
 * pool.start(); await pool.whenFull(); …; await pool.close()
 */
export class ClonePool {
  private options: ClonePoolOptions
  private closed = false
  private loop: Promise<void> | undefined
  private listener: pg.Client | undefined
  private wake: (() => void) | undefined
  private fullWaiters: Array<() => void> = []
  private warned = false
  /** Released clones whose drop failed: not retried by this pool (the sweep retries them). */
  private undroppable = new Set<string>()

  constructor(options: ClonePoolOptions) {
    this.options = { ...options }
  }

  /** The template the pool currently clones. */
  get template(): string {
    return this.options.template
  }

  /** Starts filling in the background (idempotent). */
  start(): void {
    this.loop ??= this.run()
  }

  /**
   * Resolves once the pool has been full at least once since the call, or refilling failed (a
   * warning was reported), or the pool is closed.
   */
  whenFull(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.fullWaiters.push(resolve)
      this.wake?.()
    })
  }

  /** Switches to a new template: drops this process's unclaimed databases of the old one first. */
  async setTemplate(template: string): Promise<void> {
    if (template === this.options.template) return
    const previous = this.options.template
    this.options = { ...this.options, template }
    await this.dropOwn(previous)
    this.wake?.()
  }

  /** Stops refilling and drops the unclaimed pool databases this process created. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.wake?.()
    await this.loop
    if (this.listener) {
      // Ref the socket again: ending waits for it to close, and an unref'd socket alone would let
      // the process exit in the middle of close().
      socketOf(this.listener)?.ref?.()
      await this.listener.end().catch(() => {})
    }
    await this.dropOwn(this.options.template)
    // The files of the run are done: what they released is dropped before the run ends.
    const released = await withAdminClient(this.options.adminUrl, (client) =>
      this.listReleased(client),
    ).catch(() => [])
    await this.drop(released)
    for (const resolve of this.fullWaiters.splice(0)) resolve()
  }

  private async run(): Promise<void> {
    await this.listen()
    while (!this.closed) {
      try {
        const template = this.options.template
        const { ready, released } = await withAdminClient(
          this.options.adminUrl,
          async (client) => ({
            ready: (await listDatabases(client, poolNamePrefixFor(template))).filter((e) =>
              isPoolOf(e, template),
            ),
            released: await this.listReleased(client),
          }),
        )
        const refill = ready.length < this.options.size && !this.closed
        if (!refill) for (const resolve of this.fullWaiters.splice(0)) resolve()
        if (refill || released.length > 0) {
          await Promise.all([refill ? this.createOne(template) : undefined, this.drop(released)])
          continue
        }
      } catch (error) {
        // Waiters must not hang on a pool that cannot fill: clones fall back to direct copies.
        for (const resolve of this.fullWaiters.splice(0)) resolve()
        if (!this.warned) {
          this.warned = true
          this.options.reporter?.warn(
            `pool: could not refill clones of ${this.options.template}, tests get direct clones: ${(error as Error).message}`,
          )
        }
      }
      await this.idle()
    }
  }

  /**
   * Clones of this project that their test files released (`releaseToPool`), whatever template
   * they came from, except those a drop already failed on (the sweep retries them).
   */
  private async listReleased(client: Queryable): Promise<DatabaseEntry[]> {
    return (await listDatabases(client, KIND_PREFIXES.clone)).filter((entry) => {
      const verdict = checkOwnership(entry)
      return (
        verdict.owned &&
        verdict.record.kind === 'clone' &&
        verdict.record.released === true &&
        verdict.record.project === this.options.project &&
        !this.undroppable.has(entry.name)
      )
    })
  }

  /** Drops `entries` in parallel (the admin pool bounds it); a failure is left to the sweep. */
  private async drop(entries: readonly DatabaseEntry[]): Promise<void> {
    const { adminUrl } = this.options
    await Promise.all(
      entries.map((entry) =>
        withAdminClient(adminUrl, (client) => dropDatabase(client, entry.name)).catch(() => {
          this.undroppable.add(entry.name)
        }),
      ),
    )
  }

  private async createOne(template: string): Promise<void> {
    const name = poolNameFor(template)
    const record = newRecord({ kind: 'pool', project: this.options.project, template })
    await withAdminClient(this.options.adminUrl, (client) =>
      cloneInto(client, { template, cloneStrategy: this.options.cloneStrategy }, name, record),
    )
    // Closed or switched template meanwhile: this one is not wanted any more.
    if (this.closed || template !== this.options.template) await this.dropOwn(template)
  }

  private idle(): Promise<void> {
    // Closed while a count or a clone was under way (its wake-up came too early to be heard): the
    // unref'd timer alone would let the process exit in the middle of close().
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
      const timer = setTimeout(done, POLL_MS)
      timer.unref()
      this.wake = done
    })
  }

  private async listen(): Promise<void> {
    try {
      const client = await connectClient(this.options.adminUrl, 'pool')
      client.on('notification', (message) => {
        if (message.payload === this.options.template) this.wake?.()
      })
      await client.query(`LISTEN ${POOL_CHANNEL}`)
      // The LISTEN connection must not keep the process alive on its own.
      socketOf(client)?.unref?.()
      this.listener = client
    } catch {
      // Polling alone still refills the pool.
    }
  }

  private async dropOwn(template: string): Promise<void> {
    const own = await withAdminClient(this.options.adminUrl, (client) =>
      listDatabases(client, poolNamePrefixFor(template)),
    )
      .then((entries) =>
        entries.filter((entry) => {
          const r = entry.record
          return isPoolOf(entry, template) && r?.pid === process.pid && isSameHost(r.host, r.pidNs)
        }),
      )
      .catch(() => [])
    // In parallel: a pool sized for many workers ends the run quickly.
    await this.drop(own)
  }
}
