import { withAdminClient } from './admin.js'
import { dropDatabase } from './drop.js'
import { isProcessAlive, isSameHost } from './host.js'
import { templateNameFor, type DatabaseKind } from './naming.js'
import { isOwned, listDatabases, type DatabaseEntry, type OwnershipRecord } from './ownership.js'
import { processStartTime } from '../internal/process-info.js'
import type { Queryable } from './admin.js'
import { dropUnrecordedCreation, isUnrecordedCreation } from './create.js'
import { databaseLockKey } from './naming.js'

/** Default `ttlMs`: clones, pool, build and scratch databases are dropped after 24 hours. */
export const DEFAULT_SWEEP_TTL_MS = 24 * 60 * 60_000
/** Default `keptTtlMs`: clones kept for debugging are dropped after 3 days. */
export const DEFAULT_KEPT_TTL_MS = 3 * 24 * 60 * 60_000
/** Default `keepTemplates`: the 3 most recently used templates of each project are kept. */
export const DEFAULT_KEEP_TEMPLATES = 3
/** Default `templateMinAgeMs`: a template used in the last 15 minutes is never dropped. */
export const DEFAULT_TEMPLATE_MIN_AGE_MS = 15 * 60_000

/**
 * Options for {@link sweep}.
 *
 * @example
 * await sweep(adminUrl, { keepTemplates: 1, ttlMs: 60 * 60_000 })
 */
export interface SweepOptions {
  /** Report what would be dropped without dropping anything. Default: `false`. */
  dryRun?: boolean
  /**
   * Clones, pool, build and scratch databases older than this are dropped even when their owner
   * cannot be checked (another host) or looks alive (a recycled pid). Default: 24 hours.
   */
  ttlMs?: number
  /** Clones kept for debugging are dropped this long after they were kept. Default: 3 days. */
  keptTtlMs?: number
  /** How many templates to keep per project (most recently used first). Default: `3`. */
  keepTemplates?: number
  /** Never drop a template created or reused less than this long ago. Default: 15 minutes. */
  templateMinAgeMs?: number
  /**
   * Only evict templates of this project key (others' are left alone). Leftover clones, pool,
   * build and scratch databases are swept whatever their project. Default: every project.
   */
  project?: string
  /** Database names never dropped (the template a run is using). Default: none. */
  protect?: readonly string[]
  /** Drop at most this many databases (keeps a start-up sweep cheap). Default: no limit. */
  limit?: number
  /** The current time (tests). Default: now. */
  now?: Date
  /**
   * Also drop clones, pool, build and scratch databases whose owner is still running (older than
   * `ttlMs`). Without it a live run's databases are never collected. Default: `false`.
   */
  force?: boolean
}

/** One database the sweeper looked at, and why it was (or would be) dropped or left alone. */
export interface SweepEntry {
  name: string
  /** From its record; absent when it has none. */
  kind?: DatabaseKind
  reason: string
  /** Set for a clone kept for debugging after a failed test. */
  kept?: true
}

/**
 * What {@link sweep} did.
 *
 * @example
 * for (const e of report.kept) console.log(`left ${e.name}: ${e.reason}`)
 */
export interface SweepReport {
  dryRun: boolean
  /** Dropped (or, with `dryRun`, would be dropped). */
  dropped: SweepEntry[]
  /** Left alone, with the reason. */
  kept: SweepEntry[]
  /** Dropping failed (the reason holds the error). */
  failed: SweepEntry[]
}

type Owned = DatabaseEntry & { record: OwnershipRecord }

function age(
  record: OwnershipRecord,
  now: number,
  field: 'createdAt' | 'usedAt' | 'keptAt',
): number {
  const at = Date.parse(record[field] ?? record.createdAt)
  return Number.isNaN(at) ? Infinity : now - at
}

function hours(ms: number): string {
  return ms >= 2 * 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 60_000)} min`
}

/** A complete template under its final name (anything else of kind template is a crashed build). */
function isTrustedTemplate(entry: Owned): boolean {
  const r = entry.record
  return (
    r.kind === 'template' &&
    r.complete === true &&
    r.fingerprint !== undefined &&
    entry.name === templateNameFor(r.fingerprint) &&
    entry.isTemplate
  )
}

/**
 * Whether the process that created a database may still need it, and why. A pid that is alive but
 * started at another time than the record says is another process (the pid was recycled).
 */
function ownerStatus(record: OwnershipRecord): { alive: boolean | undefined; who: string } {
  const who = `pid ${record.pid} on ${record.host}`
  if (!isSameHost(record.host, record.pidNs)) return { alive: undefined, who }
  if (!isProcessAlive(record.pid)) return { alive: false, who }
  if (record.pidStart !== undefined) {
    const started = processStartTime(record.pid)
    if (started !== undefined && started !== record.pidStart) return { alive: false, who }
  }
  return { alive: true, who }
}

/** Decides the fate of a clone, pool, build or scratch database. */
function judgeLeftover(
  entry: Owned,
  now: number,
  options: Required<Pick<SweepOptions, 'ttlMs' | 'keptTtlMs' | 'force'>>,
): { drop: boolean; reason: string } {
  const r = entry.record
  // Its test file was done with it: the run's pool drops it unless that run ended first.
  if (r.kind === 'clone' && r.released) {
    return { drop: true, reason: 'released by its test file, whose run ended before dropping it' }
  }
  if (r.kind === 'clone' && r.kept) {
    const keptFor = age(r, now, 'keptAt')
    return keptFor > options.keptTtlMs
      ? {
          drop: true,
          reason: `kept for debugging ${hours(keptFor)} ago, longer than keptTtlMs (${hours(options.keptTtlMs)})`,
        }
      : {
          drop: false,
          reason: `kept for debugging (dropped ${hours(options.keptTtlMs - keptFor)} from now)`,
        }
  }
  const { alive, who } = ownerStatus(r)
  const old = age(r, now, 'createdAt')
  if (alive === false) return { drop: true, reason: `its owner (${who}) is gone` }
  // A live run's databases are in use (a test may be running on it right now): only --force.
  // An owner without a start time in its record may be a recycled pid: the TTL still applies.
  if (alive === true && r.pidStart !== undefined && !options.force) {
    return {
      drop: false,
      reason: `its owner (${who}) is still running (\`pgtestbed gc --force\` drops it anyway)`,
    }
  }
  if (old > options.ttlMs) {
    return { drop: true, reason: `older than ttlMs (${hours(options.ttlMs)}); owner ${who}` }
  }
  return alive
    ? { drop: false, reason: `its owner (${who}) is still running` }
    : {
        drop: false,
        reason: `owner ${who} cannot be checked from here; younger than ttlMs (${hours(options.ttlMs)})`,
      }
}

/** True when nobody holds the creation lock of `name` (its creator's session is gone). */
async function isCreatorGone(client: Queryable, name: string): Promise<boolean> {
  const key = databaseLockKey(name)
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1::bigint) AS locked',
    [key],
  )
  if (rows[0]?.locked) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key])
  return rows[0]?.locked === true
}

/**
 * Drops what crashed or finished runs left behind, and templates nobody needs any more:
 * - clones, pool, build and scratch databases whose owning process is gone (same host), or
 *   older than `ttlMs` (24 h); a build that crashed before its final rename counts as a build;
 * - clones kept for debugging, `keptTtlMs` (3 days) after they were kept;
 * - clones their test files released for the run's pool to drop (`releaseToPool`), at once;
 * - templates beyond the `keepTemplates` (3) most recently used per project key, unless used in
 *   the last `templateMinAgeMs` (15 min), protected, or still the source of a live clone.
 *
 * It never drops a database without both the `pgtestbed_` prefix and pgtestbed's ownership
 * record, and reports every database it left alone with the reason (the CLI's `gc` prints it).
 *
 * @example
 * const report = await sweep(adminUrl, { dryRun: true })
 * for (const e of report.dropped) console.log(`would drop ${e.name}: ${e.reason}`)
 */
export async function sweep(adminUrl: string, options: SweepOptions = {}): Promise<SweepReport> {
  const now = (options.now ?? new Date()).getTime()
  const ttl = {
    ttlMs: options.ttlMs ?? DEFAULT_SWEEP_TTL_MS,
    keptTtlMs: options.keptTtlMs ?? DEFAULT_KEPT_TTL_MS,
    force: options.force ?? false,
  }
  const keepTemplates = options.keepTemplates ?? DEFAULT_KEEP_TEMPLATES
  const minAge = options.templateMinAgeMs ?? DEFAULT_TEMPLATE_MIN_AGE_MS
  const protect = new Set(options.protect ?? [])
  const report: SweepReport = { dryRun: options.dryRun ?? false, dropped: [], kept: [], failed: [] }

  return withAdminClient(adminUrl, async (client) => {
    const entries = await listDatabases(client)
    const toDrop: SweepEntry[] = []
    const templates: Owned[] = []
    const survivors: Owned[] = []
    for (const entry of entries) {
      if (isUnrecordedCreation(entry)) {
        const reason =
          'created by pgtestbed, whose creator crashed before writing its ownership record'
        if (
          report.dryRun
            ? await isCreatorGone(client, entry.name)
            : await dropUnrecordedCreation(client, entry.name)
        ) {
          report.dropped.push({ name: entry.name, reason })
        } else {
          report.kept.push({
            name: entry.name,
            reason: 'being created by another process right now',
          })
        }
        continue
      }
      if (!isOwned(entry)) {
        report.kept.push({
          name: entry.name,
          reason: 'no pgtestbed ownership record: not created by pgtestbed, never dropped',
        })
        continue
      }
      const kind = entry.record.kind
      if (protect.has(entry.name)) {
        report.kept.push({ name: entry.name, kind, reason: 'in use by this run' })
        continue
      }
      if (isTrustedTemplate(entry)) {
        templates.push(entry)
        continue
      }
      const verdict = judgeLeftover(entry, now, ttl)
      const reason =
        kind === 'template' ? `unfinished template build: ${verdict.reason}` : verdict.reason
      if (verdict.drop) toDrop.push({ name: entry.name, kind, reason })
      else {
        const kept = entry.record.kind === 'clone' && entry.record.kept === true
        report.kept.push({ name: entry.name, kind, reason, ...(kept ? { kept } : {}) })
        survivors.push(entry)
      }
    }

    const byProject = new Map<string, Owned[]>()
    for (const t of templates) {
      const list = byProject.get(t.record.project) ?? []
      list.push(t)
      byProject.set(t.record.project, list)
    }
    for (const [project, list] of byProject) {
      list.sort((a, b) => age(a.record, now, 'usedAt') - age(b.record, now, 'usedAt'))
      list.forEach((t, rank) => {
        const user = survivors.find((s) => s.record.template === t.name)
        const used = age(t.record, now, 'usedAt')
        const reason =
          options.project !== undefined && project !== options.project
            ? `template of another project (${project})`
            : rank < keepTemplates
              ? `one of the ${keepTemplates} most recently used templates of project ${project}`
              : used < minAge
                ? `used ${hours(used)} ago (templateMinAgeMs is ${hours(minAge)})`
                : user
                  ? `still the template of ${user.name}`
                  : undefined
        if (reason) report.kept.push({ name: t.name, kind: 'template', reason })
        else {
          toDrop.push({
            name: t.name,
            kind: 'template',
            reason: `beyond the ${keepTemplates} most recently used templates of project ${project} (last used ${hours(used)} ago)`,
          })
        }
      })
    }

    // Clones before templates: a template is only dropped once nothing else needs it.
    toDrop.sort((a, b) => Number(a.kind === 'template') - Number(b.kind === 'template'))
    const limit = options.limit ?? Infinity
    for (const item of toDrop) {
      if (report.dropped.length >= limit) {
        report.kept.push({
          ...item,
          reason: `${item.reason} (left for later: sweep limit ${limit} reached)`,
        })
        continue
      }
      if (report.dryRun) {
        report.dropped.push(item)
        continue
      }
      try {
        const result = await dropDatabase(client, item.name)
        report.dropped.push(
          result.dropped
            ? item
            : { ...item, reason: `${item.reason} (another process dropped it first)` },
        )
      } catch (error) {
        report.failed.push({
          ...item,
          reason: `${item.reason}; drop failed: ${(error as Error).message}`,
        })
      }
    }
    return report
  })
}
