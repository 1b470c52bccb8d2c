import path from 'node:path'
import { describeMigrator } from '../migrations/migrator/run.js'
import { isMigratorSet, type SchemaSet } from '../migrations/migrator/types.js'
import { PgtestbedError } from '../errors.js'
import { describeAddress, serverAddress } from '../internal/pg-connect.js'
import { silentReporter } from '../progress.js'
import type { EmbeddedPostgresServer } from '../servers/embedded/server.js'
import type { PostgresServer } from '../servers/types.js'
import { withAdminClient } from '../templates/admin.js'
import { ensureTemplate, type EnsureTemplateResult } from '../templates/build.js'
import { resolveCloneStrategy, type CloneOptions } from '../templates/clone.js'
import type { Fingerprint } from '../templates/fingerprint.js'
import { projectKeyFor } from '../templates/naming.js'
import { ClonePool } from '../templates/pool.js'
import { sweep, type SweepReport } from '../templates/sweep.js'
import { acquireServer, dedupe, type SharedServer } from './cache.js'
import { cloneDatabase } from './clone.js'
import { checkDrift } from './drift.js'
import { keepMemoryWithinBudget, memoryFullOr } from './memory.js'
import { resolvePoolSize } from './pool-size.js'
import { snapshotUnlessHeld } from './snapshot.js'
import {
  checkTestbedOptions,
  discoverSchema,
  fingerprintOf,
  prepareMigrations,
  type PreparedMigrations,
} from './prepare.js'
import type { CloseOptions, RefreshResult, Testbed, TestbedInfo, TestbedOptions } from './types.js'

// Lives in its own module so that `@pgtestbed/core/worker` can offer it without the rest.
export { cloneDatabase } from './clone.js'

/** Default start-up sweep: bounded, so a run never spends long cleaning up after others. */
const DEFAULT_STARTUP_SWEEP_LIMIT = 20

function serverLabel(server: PostgresServer): string {
  if (server.kind === 'embedded') return `embedded PostgreSQL ${server.majorVersion}`
  if (server.kind === 'docker') return `docker PostgreSQL ${server.majorVersion}`
  const address = serverAddress(server.adminUrl)
  return `PostgreSQL ${server.majorVersion} at ${describeAddress({ ...address, user: undefined })}`
}

function summaryLine(
  server: PostgresServer,
  set: SchemaSet,
  template: EnsureTemplateResult,
  warnings: number,
  ms: number,
): string {
  const short = template.name.slice(0, 'pgtestbed_tpl_'.length + 8)
  const what = isMigratorSet(set)
    ? [describeMigrator(set), `${set.files.length} input file${set.files.length === 1 ? '' : 's'}`]
    : [set.format, `${set.migrations.length} migration${set.migrations.length === 1 ? '' : 's'}`]
  const parts = [serverLabel(server), ...what, `template ${short} ${template.status}`]
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`)
  parts.push(`${Math.round(ms)} ms`)
  return parts.join(' · ')
}

/** `{ serverLog }` for an embedded server (its log is named when it dies), else nothing. */
function serverLogOf(server: PostgresServer): { serverLog?: string } {
  const log = (server as { logFile?: unknown }).logFile
  return typeof log === 'string' ? { serverLog: log } : {}
}

/** `{ templateCache }` made absolute (option, else `PGTESTBED_TEMPLATE_CACHE`), or nothing. */
function templateCacheOf(options: TestbedOptions): { templateCache?: string } {
  const dir = options.templateCache ?? (process.env.PGTESTBED_TEMPLATE_CACHE || undefined)
  return dir === undefined ? {} : { templateCache: path.resolve(options.cwd ?? process.cwd(), dir) }
}

async function ensureShared(
  server: PostgresServer,
  prepared: PreparedMigrations,
  fingerprint: Fingerprint,
  project: string,
  options: TestbedOptions,
): Promise<EnsureTemplateResult> {
  const { value, joined } = await dedupe(`${server.adminUrl}\0${fingerprint.templateName}`, () =>
    ensureTemplate({
      adminUrl: server.adminUrl,
      set: prepared.set,
      fingerprint,
      project,
      seeds: prepared.seeds,
      ...(options.verifyDown === undefined ? {} : { verifyDown: options.verifyDown }),
      ...(options.baseTemplate === undefined ? {} : { baseTemplate: options.baseTemplate }),
      ...templateCacheOf(options),
      ...(server.kind === 'embedded' ? { sqlEntryOptional: true } : {}),
      ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
      ...(options.reporter ? { reporter: options.reporter } : {}),
      ...serverLogOf(server),
    }).catch((error: unknown) => {
      throw memoryFullOr(server, error, `building template ${fingerprint.templateName}`)
    }),
  )
  return joined ? { ...value, status: 'reused', applied: 0 } : value
}

/**
 * A template this call found on an embedded server it just seeded from the template cache came
 * from there: `'restored'`, not `'reused'`.
 */
function seededOrNot(server: PostgresServer, template: EnsureTemplateResult): EnsureTemplateResult {
  const seeded = (server as Partial<EmbeddedPostgresServer>).seeded
  return template.status === 'reused' && seeded?.templates.includes(template.name)
    ? { ...template, status: 'restored' }
    : template
}

/**
 * With `templateCache` on the embedded server, saves a snapshot of its cluster there unless the
 * one there holds `template` already (once per template and process). A failure fails the
 * progress step, not the run.
 */
async function snapshotShared(
  server: PostgresServer,
  template: string,
  options: TestbedOptions,
): Promise<void> {
  const { templateCache } = templateCacheOf(options)
  if (templateCache === undefined || server.kind !== 'embedded') return
  const embedded = server as EmbeddedPostgresServer
  const reporter = options.reporter ?? silentReporter
  // The step reports a failure; the run goes on with its template.
  await dedupe(`snapshot\0${templateCache}\0${template}`, () =>
    snapshotUnlessHeld(embedded, template, templateCache, reporter).catch(() => undefined),
  )
}

/**
 * Gets everything ready for a test run and returns a handle: resolves the server (in parallel
 * with discovery), validates the migrations (`VALIDATION_FAILED`, before any test), checks the
 * manifest (`MANIFEST_MISMATCH`) and lint (`LINT_FAILED`), reuses or builds the template under
 * the cross-process lock, checks it against the `drift` target (`DRIFT_DETECTED`), sweeps
 * leftovers of crashed runs (bounded), and starts the clone pool (sized from `workers` and the
 * server's room unless `pool` is given; it fills in the background). Any error releases the
 * server before it is rethrown.
 *
 * Pass `testbed.info` (plain JSON) to test workers; they call {@link cloneDatabase} with it.
 *
 * @example
 * await using testbed = await startTestbed({ migrations: './db/migrations' })
 * console.log(testbed.summary)
 * await using db = await cloneDatabase(testbed.info, { label: 'users.test.ts' })
 * @throws DiagnosticsError VALIDATION_FAILED / MANIFEST_MISMATCH / LINT_FAILED; MigrationApplyError
 *   APPLY_FAILED; PgtestbedError SERVER_UNREACHABLE, EMBEDDED_START_FAILED, TEMPLATE_LOCK_TIMEOUT,
 *   TEMPLATE_BUILD_FAILED, VERIFY_DOWN_FAILED, DRIFT_DETECTED, DIFF_COMMAND_FAILED,
 *   DIFF_FILE_FAILED, INVALID_OPTIONS…
 */
export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const started = performance.now()
  checkTestbedOptions(options)
  const [serverResult, setResult] = await Promise.allSettled([
    acquireServer({ ...options, ...templateCacheOf(options) }).then((shared) => {
      // Opens the admin connection the template lookup needs while the migrations are checked
      // and hashed (a failure shows up, with its message, at the lookup).
      withAdminClient(shared.server.adminUrl, async () => {}).catch(() => {})
      return shared
    }),
    discoverSchema(options),
  ])
  const shared = serverResult.status === 'fulfilled' ? serverResult.value : undefined
  try {
    // Problems in the user's files come first: they do not depend on the machine.
    if (setResult.status === 'rejected') throw setResult.reason
    const prepared = await prepareMigrations(options, setResult.value)
    if (serverResult.status === 'rejected') throw serverResult.reason
    return await open(shared!, prepared, options, started)
  } catch (error) {
    await shared?.release().catch(() => {})
    throw error
  }
}

async function open(
  shared: SharedServer,
  prepared: PreparedMigrations,
  options: TestbedOptions,
  started: number,
): Promise<Testbed> {
  const { server } = shared
  const reporter = options.reporter ?? silentReporter
  const project = projectKeyFor(prepared.set.dir)
  let fingerprint = await fingerprintOf(prepared, server.majorVersion, options)
  let template = seededOrNot(
    server,
    await ensureShared(server, prepared, fingerprint, project, options),
  )
  await snapshotShared(server, template.name, options)
  const cloneStrategy = resolveCloneStrategy(
    options.cloneStrategy ?? 'auto',
    server.majorVersion,
    server.storage,
  )
  const drift = (set: SchemaSet) =>
    options.drift === undefined
      ? Promise.resolve()
      : checkDrift({
          source: {
            adminUrl: server.adminUrl,
            template: template.name,
            project,
            majorVersion: server.majorVersion,
            cloneStrategy,
          },
          set,
          fingerprint: fingerprint.hash,
          options: { ...options, drift: options.drift },
          reporter,
        })
  // Before the sweep and the pool: a drifted schema fails the run before anything else starts.
  await drift(prepared.set)

  const startupSweep = async (): Promise<SweepReport | undefined> => {
    if (options.sweep === false) return undefined
    try {
      return await sweep(server.adminUrl, {
        limit: DEFAULT_STARTUP_SWEEP_LIMIT,
        ...options.sweep,
        project,
        protect: [template.name, ...(options.sweep?.protect ?? [])],
      })
    } catch (error) {
      reporter.warn(
        `sweeping leftovers of earlier runs failed (tests go on): ${(error as Error).message}`,
      )
      return undefined
    }
  }
  const [sweepReport, poolSize] = await Promise.all([
    startupSweep(),
    resolvePoolSize({
      pool: options.pool,
      workers: options.workers,
      adminUrl: server.adminUrl,
      template: template.name,
      storage: server.storage,
      reporter,
    }),
  ])
  const keepBudget = () =>
    keepMemoryWithinBudget(server, options, [template.name], reporter).catch((error: unknown) =>
      reporter.warn(`keeping the memory budget failed (tests go on): ${(error as Error).message}`),
    )
  await keepBudget()

  let current = prepared
  const makeInfo = (): TestbedInfo => ({
    v: 1,
    adminUrl: server.adminUrl,
    template: template.name,
    project,
    majorVersion: server.majorVersion,
    cloneStrategy,
    server: { kind: server.kind, majorVersion: server.majorVersion, storage: server.storage },
    fingerprint: fingerprint.hash,
    format: current.set.format,
    migrationsDir: current.set.dir,
    migrations: current.set.migrations.length,
    poolSize,
    pool: poolSize > 0,
    ...serverLogOf(server),
  })
  let info = makeInfo()
  const pool =
    poolSize > 0
      ? new ClonePool({
          adminUrl: server.adminUrl,
          template: template.name,
          project,
          size: poolSize,
          cloneStrategy,
          reporter,
        })
      : undefined
  pool?.start()

  let closed = false
  const summary = summaryLine(
    server,
    prepared.set,
    template,
    prepared.warnings.length,
    performance.now() - started,
  )
  const testbed: Testbed = {
    get info() {
      return info
    },
    get set() {
      return current.set
    },
    get diagnostics() {
      return current.warnings
    },
    summary,
    get template() {
      return template
    },
    sweep: sweepReport,
    clone(cloneOptions?: CloneOptions) {
      return cloneDatabase(info, cloneOptions)
    },
    whenPoolFull() {
      return pool?.whenFull() ?? Promise.resolve()
    },
    async refresh(): Promise<RefreshResult> {
      assertOpen(closed)
      const next = await prepareMigrations(options)
      const nextFingerprint = await fingerprintOf(next, server.majorVersion, options)
      current = next
      if (nextFingerprint.hash === fingerprint.hash)
        return { info, changed: false, template: undefined }
      const nextTemplate = await ensureShared(server, next, nextFingerprint, project, options)
      fingerprint = nextFingerprint
      template = nextTemplate
      await drift(next.set)
      info = makeInfo()
      await pool?.setTemplate(template.name)
      await keepBudget()
      return { info, changed: true, template }
    },
    async close(closeOptions: CloseOptions = {}) {
      if (closed) return
      closed = true
      try {
        await pool?.close()
      } finally {
        await shared.release(closeOptions.keepServer ? { keepRunning: true } : undefined)
      }
    },
    async [Symbol.asyncDispose]() {
      await testbed.close()
    },
  }
  return testbed
}

function assertOpen(closed: boolean): void {
  if (closed) {
    throw new PgtestbedError('INVALID_OPTIONS', 'this testbed is closed', {
      fix: 'Call startTestbed() again.',
    })
  }
}
