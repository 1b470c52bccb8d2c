import { existsSync } from 'node:fs'
import path from 'node:path'
import { displayPath } from '../diagnostics.js'
import { isPgtestbedError, PgtestbedError } from '../errors.js'
import { crashPoint } from '../internal/crash-points.js'
import { serverLostError } from '../internal/server-lost.js'
import { MigrationApplyError } from '../migrations/database/apply-errors.js'
import { describeMigrator } from '../migrations/migrator/run.js'
import { isMigratorSet, type SchemaSet } from '../migrations/migrator/types.js'
import { silentReporter, type ProgressStep, type Reporter } from '../progress.js'
import { connectClient, describeUrl, withAdminClient, type Queryable } from './admin.js'
import { databaseUrl } from './clone.js'
import { createOwnedDatabase, dropUnrecordedCreation, isUnrecordedCreation } from './create.js'
import { dropDatabase } from './drop.js'
import { DEFAULT_BASE_TEMPLATE, type Fingerprint } from './fingerprint.js'
import { acquireTemplateLock, describeHolder } from './lock.js'
import { buildNameFor, buildNamePrefixFor } from './naming.js'
import {
  isOwned,
  listDatabases,
  newRecord,
  readDatabase,
  writeRecord,
  type DatabaseEntry,
} from './ownership.js'
import { cacheEntryPath } from './cache-entry.js'
import { buildSchema } from './schema.js'
import { applySeeds, type SeedFile } from './seeds.js'
import { describePgError, quoteIdent } from './sql.js'
import { exportTemplate, restoreTemplate } from './template-cache.js'
import { verifyDown } from './verify-down.js'

/** Options for {@link ensureTemplate}. */
export interface EnsureTemplateOptions {
  /** URL of the maintenance database, with a role that may CREATE DATABASE. */
  adminUrl: string
  /** The discovered (and validated) migrations, or the migrate command or function. */
  set: SchemaSet
  /** The set's fingerprint (see `computeFingerprint`). */
  fingerprint: Fingerprint
  /** Project key for the records (see `projectKeyFor`). */
  project: string
  /** Seed files run after the migrations (part of the fingerprint). Default: none. */
  seeds?: readonly SeedFile[]
  /** Check every Down section (up → down → up on a scratch database). Default: `false`. */
  verifyDown?: boolean
  /** The database builds start from. Default: `'template0'`. */
  baseTemplate?: string
  /** Give up waiting for another process's build after this long. Default: 5 minutes. */
  lockTimeoutMs?: number
  /** Progress ("building template … (applying 37/100)"). Default: silent. */
  reporter?: Reporter
  /** The embedded server's log, named when the server dies mid-build (`SERVER_LOST`). Default: none. */
  serverLog?: string
  /**
   * A folder of saved templates (see `template-cache.ts`): a build restores the entry of this
   * fingerprint instead of applying the migrations, and a template whose entry is missing is
   * saved there. Default: none.
   */
  templateCache?: string
  /**
   * Save the template's SQL entry only when a `pg_dump` can dump the server, and say nothing
   * otherwise: the embedded server's cluster snapshot (see `snapshot.ts`) serves new servers
   * without it. Default: `false` (a missing `pg_dump` is a warning).
   */
  sqlEntryOptional?: boolean
}

/** What {@link ensureTemplate} did. */
export interface EnsureTemplateResult {
  /** The template database name. */
  name: string
  /**
   * `'reused'`: it existed (or another process built it meanwhile); `'built'`: this call built
   * it from the migrations; `'restored'`: this call built it from the `templateCache` folder
   * (or, in `startTestbed`, started the embedded server from the snapshot there that held it).
   */
  status: 'reused' | 'built' | 'restored'
  /** Migrations applied (0 when reused or restored). */
  applied: number
  /** Milliseconds spent waiting for another process's build. */
  waitedMs: number
  /** Milliseconds the whole call took. */
  ms: number
}

/**
 * The build session commits without waiting for the WAL flush: on a server with `fsync` on, each
 * migration's COMMIT would otherwise wait for the disk. Safe for a template: nothing trusts a
 * build before its seal and rename, which commit on the admin session with the server's own
 * setting, and that flush covers every earlier commit (the WAL is written in order), so after a
 * crash either the renamed template and all its migrations are there, or no template is.
 */
const ASYNC_COMMIT = 'SET synchronous_commit = off'

/** Reuse after this long refreshes the template's `usedAt` (the sweeper keeps recently used ones). */
const TOUCH_AFTER_MS = 60_000

/** True for a finished template of this fingerprint under its final name. */
function isComplete(entry: DatabaseEntry | undefined, fingerprint: Fingerprint): boolean {
  const r = entry?.record
  return (
    entry?.isTemplate === true &&
    r?.kind === 'template' &&
    r.complete === true &&
    r.fingerprint === fingerprint.hash
  )
}

/**
 * Returns the template for `fingerprint`, building it if needed. The template is either complete
 * or absent:
 * 1. reuse it when a complete template with that name exists (`datistemplate`, its record says
 *    complete, the fingerprint matches);
 * 2. else take the cross-process build lock (polling, see `acquireTemplateLock`) and check again:
 *    another process may have built it while this one waited;
 * 3. drop leftover build databases of crashed builds of this fingerprint;
 * 4. `CREATE DATABASE <pgtestbed_bld_…>` (record kind build) → build the schema (`buildSchema`:
 *    the migrations' Up sections, or the migrate command or function) → seeds → optional
 *    verifyDown (on a separate scratch database) → disconnect;
 * 5. `IS_TEMPLATE true, ALLOW_CONNECTIONS false`, record complete, then rename to the final name —
 *    the commit point: a crash before it leaves only a build database nobody trusts (swept later).
 * Any failure drops the build database and rethrows (`APPLY_FAILED` keeps file, line and the
 * PostgreSQL error).
 *
 * @example
 * const fingerprint = await computeFingerprint({ set, serverMajor: server.majorVersion })
 * const { name, status } = await ensureTemplate({ adminUrl: server.adminUrl, set, fingerprint, project })
 * @throws MigrationApplyError APPLY_FAILED, VerifyDownError VERIFY_DOWN_FAILED,
 *   PgtestbedError TEMPLATE_LOCK_TIMEOUT / TEMPLATE_BUILD_FAILED.
 */
export async function ensureTemplate(
  options: EnsureTemplateOptions,
): Promise<EnsureTemplateResult> {
  const started = performance.now()
  const { adminUrl, fingerprint } = options
  const name = fingerprint.templateName
  const reporter = options.reporter ?? silentReporter
  const result = (status: EnsureTemplateResult['status'], applied: number, waitedMs: number) => ({
    name,
    status,
    applied,
    waitedMs,
    ms: performance.now() - started,
  })

  if (await reuse(adminUrl, name, fingerprint)) return saved(options, result('reused', 0, 0))

  const waitStarted = performance.now()
  let waitStep: ProgressStep | undefined
  const lock = await acquireTemplateLock(adminUrl, name, {
    ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
    onWait(holder) {
      waitStep ??= reporter.step(`waiting for template ${name}`)
      waitStep.update(`another process is building it: ${describeHolder(holder)}`)
    },
  }).catch((error: unknown) => {
    waitStep?.fail(isPgtestbedError(error) ? error.code : undefined)
    throw error
  })
  const waitedMs = performance.now() - waitStarted
  waitStep?.done(`template ${name} is ready`)
  let built: EnsureTemplateResult
  try {
    if (await reuse(adminUrl, name, fingerprint)) {
      built = result('reused', 0, waitedMs)
    } else {
      const { applied, restored } = await build(options, name)
      built = result(restored ? 'restored' : 'built', applied, waitedMs)
    }
  } finally {
    await lock.release()
  }
  return saved(options, built)
}

/**
 * With `templateCache`, saves a template whose entry is missing (a restored one came from
 * there). A failure to save is a warning: the run has its template.
 */
async function saved(
  options: EnsureTemplateOptions,
  result: EnsureTemplateResult,
): Promise<EnsureTemplateResult> {
  const dir = options.templateCache
  if (dir === undefined || result.status === 'restored') return result
  const reporter = options.reporter ?? silentReporter
  try {
    const file = await exportTemplate({
      adminUrl: options.adminUrl,
      templateName: result.name,
      fingerprint: options.fingerprint.hash,
      project: options.project,
      dir,
      reporter,
      ...(options.sqlEntryOptional ? { ifPgDump: true } : {}),
    })
    if (file)
      reporter.info(`template cache: saved ${result.name} to ${displayPath(file, process.cwd())}`)
  } catch (error) {
    reporter.warn(
      isPgtestbedError(error) ? error.message : `template cache: ${describePgError(error)}`,
    )
  }
  return result
}

/** True when the complete template exists; refreshes its `usedAt` now and then. */
async function reuse(adminUrl: string, name: string, fingerprint: Fingerprint): Promise<boolean> {
  return withAdminClient(adminUrl, async (client) => {
    const entry = await readDatabase(client, name)
    if (!entry) return false
    if (isComplete(entry, fingerprint)) {
      const record = entry.record!
      const usedAt = Date.parse(record.usedAt ?? record.createdAt)
      if (!(Date.now() - usedAt < TOUCH_AFTER_MS)) {
        // Best effort: another role's template cannot be commented on, and reuse must not fail.
        await writeRecord(client, name, { ...record, usedAt: new Date().toISOString() }).catch(
          () => {},
        )
      }
      return true
    }
    if (!isOwned(entry)) {
      throw new PgtestbedError(
        'TEMPLATE_BUILD_FAILED',
        `cannot build template "${name}" on ${describeUrl(adminUrl)}: a database with that name exists and pgtestbed did not create it (no ownership record)`,
        {
          fix: `Drop or rename that database yourself if it is a leftover: DROP DATABASE ${quoteIdent(name)}`,
        },
      )
    }
    // Ours but not complete: impossible through ensureTemplate (the rename is the last step);
    // a hand-made or damaged one. The caller rebuilds it under the lock.
    return false
  })
}

/**
 * Builds the template (the caller holds the lock); returns how many migrations were applied and
 * whether it came from the template cache instead.
 */
async function build(
  options: EnsureTemplateOptions,
  name: string,
): Promise<{ applied: number; restored: boolean }> {
  const { adminUrl, set, fingerprint, project } = options
  const reporter = options.reporter ?? silentReporter
  const baseTemplate = options.baseTemplate ?? DEFAULT_BASE_TEMPLATE
  const step = reporter.step(`building template ${name}`)
  let buildName = buildNameFor(fingerprint.hash)
  let created = false
  const createBuild = (template: string) =>
    withAdminClient(adminUrl, async (admin) => {
      await createOwnedDatabase(admin, {
        name: buildName,
        template,
        record: newRecord({ kind: 'build', project, fingerprint: fingerprint.hash }),
      })
      created = true
    })
  try {
    await withAdminClient(adminUrl, (admin) => dropLeftovers(admin, name, fingerprint))

    let restoredFrom: string | undefined
    // No entry, no restore database to create and drop (a damaged entry is reported below).
    if (
      options.templateCache !== undefined &&
      existsSync(cacheEntryPath(options.templateCache, fingerprint.hash))
    ) {
      // A dump holds the base template's objects too: it restores into an empty database.
      await createBuild(DEFAULT_BASE_TEMPLATE)
      const client = await connectClient(databaseUrl(adminUrl, buildName), 'build')
      try {
        await client.query(ASYNC_COMMIT)
        step.update('restoring from the template cache')
        const outcome = await restoreTemplate(client, {
          dir: options.templateCache,
          fingerprint: fingerprint.hash,
          templateName: name,
          reporter,
        })
        if (outcome.restored) restoredFrom = outcome.file
      } finally {
        await client.end().catch(() => {})
      }
      if (restoredFrom === undefined) {
        // Never half-used: whatever the failed restore left goes with its database.
        await withAdminClient(adminUrl, (admin) => dropBuild(admin, buildName))
        created = false
        buildName = buildNameFor(fingerprint.hash)
      }
    }

    const total = set.migrations.length
    let applied = 0
    if (restoredFrom === undefined) {
      await createBuild(baseTemplate)
      const buildUrl = databaseUrl(adminUrl, buildName)
      const client = await connectClient(buildUrl, 'build')
      try {
        await client.query(ASYNC_COMMIT)
        applied = await buildSchema({ client, url: buildUrl, set, step })
        if (options.seeds?.length) {
          step.update(`running ${options.seeds.length} seed file(s)`)
          await applySeeds(client, options.seeds, name)
        }
      } finally {
        await client.end().catch(() => {})
      }
      if (options.verifyDown && !isMigratorSet(set)) {
        await verifyDown({ adminUrl, set, project, baseTemplate, step })
      }
    }

    crashPoint('before-seal', 'build')
    await withAdminClient(adminUrl, async (admin) => {
      // Sessions a migration opened (dblink, a background worker) would block the rename.
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [buildName],
      )
      // ALLOW_CONNECTIONS false: nothing can connect to the template, so cloning never fails with
      // 55006 "source database is being accessed by other users".
      await admin.query(
        `ALTER DATABASE ${quoteIdent(buildName)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
      )
      const now = new Date().toISOString()
      await writeRecord(admin, buildName, {
        ...newRecord({ kind: 'template', project, fingerprint: fingerprint.hash, complete: true }),
        usedAt: now,
      })
      crashPoint('after-seal', 'build')
      // The commit point: only a complete template ever carries the final name.
      await admin.query(`ALTER DATABASE ${quoteIdent(buildName)} RENAME TO ${quoteIdent(name)}`)
    })
    crashPoint('after-rename', 'build')
    step.done(
      restoredFrom === undefined
        ? `built template ${name} (${isMigratorSet(set) ? describeMigrator(set) : `${applied}/${total} migrations`})`
        : `restored template ${name} from the template cache ${displayPath(restoredFrom, process.cwd())} (no migrations applied)`,
    )
    return { applied, restored: restoredFrom !== undefined }
  } catch (error) {
    // A server that died (or was shut down) mid-build is not a migration's fault.
    const lost = serverLostError(error, {
      adminUrl,
      doing:
        error instanceof MigrationApplyError
          ? `applying ${path.basename(error.file)} to build template ${name}`
          : `building template ${name}`,
      serverLog: options.serverLog,
    })
    step.fail(lost ? lost.code : isPgtestbedError(error) ? error.code : describePgError(error))
    if (created) {
      await withAdminClient(adminUrl, (admin) => dropBuild(admin, buildName)).catch(() => {})
    }
    if (lost) throw lost
    if (isPgtestbedError(error)) throw error
    throw new PgtestbedError(
      'TEMPLATE_BUILD_FAILED',
      `failed to build template "${name}" on ${describeUrl(adminUrl)}: ${describePgError(error)}`,
      { cause: error },
    )
  }
}

/** Drops the build database (`createOwnedDatabase` wrote its record before returning). */
async function dropBuild(admin: Queryable, buildName: string): Promise<void> {
  const entry = await readDatabase(admin, buildName)
  if (entry && isOwned(entry)) await dropDatabase(admin, buildName)
}

/**
 * Under the lock no other build of this fingerprint runs, so any build database of it is a crashed
 * one; likewise an incomplete database of ours under the final name.
 */
async function dropLeftovers(
  admin: Queryable,
  name: string,
  fingerprint: Fingerprint,
): Promise<void> {
  for (const entry of await listDatabases(admin, buildNamePrefixFor(fingerprint.hash))) {
    if (isOwned(entry)) await dropDatabase(admin, entry.name)
    else if (isUnrecordedCreation(entry)) await dropUnrecordedCreation(admin, entry.name)
  }
  const existing = await readDatabase(admin, name)
  if (existing && isOwned(existing) && !isComplete(existing, fingerprint)) {
    await dropDatabase(admin, name)
  }
}
