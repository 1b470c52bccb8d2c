import pg from 'pg'
import { displayPath } from '../diagnostics.js'
import { PgtestbedError, type ErrorCode } from '../errors.js'
import { redactUrl } from '../internal/pg-connect.js'
import { cloneDatabase } from '../testbed/clone.js'
import type { TestbedInfo } from '../testbed/types.js'
import { withAdminClient } from '../templates/admin.js'
import { attachClone } from '../templates/attach.js'
import type { ClonedDatabase } from '../templates/clone.js'
import { formatLeakedConnections, type LeakedConnection } from '../templates/drop.js'
import { cloneNameFor } from '../templates/naming.js'
import { quoteIdent } from '../templates/sql.js'
import { forgetOpenDatabase, noteKeptDatabase, noteOpenDatabase } from './run-notes.js'
import { withTerminationGuard } from './termination-guard.js'
import { plural } from '../internal/plural.js'

/**
 * How long a database belongs to one test file:
 * - `'file'`: each file clones a database of its own (a new name every file).
 * - `'worker'`: for runners that share modules across the files of a worker (Vitest's
 *   `isolate: false`, `vmThreads`, `vmForks`), where a `pg.Pool` created at import outlives its
 *   file: every file still starts from the template state, but in a database whose NAME stays the
 *   same for the worker, re-cloned in place between files (its sessions ended, dropped, cloned
 *   again), so that pool reconnects to the fresh copy. Sessions cut between files are expected
 *   there and not reported as leaks.
 */
export type TestFileScope = 'file' | 'worker'

/** What the runner's main process hands to every test file (plain JSON). */
export interface TestFileContext extends TestbedInfo {
  /** The project's root folder; test files are named relative to it. */
  root: string
  /** The runner's project name (`''` for an unnamed project). */
  projectName: string
  /** The environment variable every test file's database URL is put in. */
  envVar: string
  /** Keep the database of a file with a failed test (and print its URL) instead of dropping it. */
  keepOnFailure: boolean
  /** How long the start-up sweep leaves a kept database (`sweep.keptTtlMs`), for the message. */
  keptTtlMs: number
  /** The run folder for notes about open and kept databases (see run-notes), if the runner has one. */
  runDir?: string
  /** Default: `'file'`. */
  scope?: TestFileScope
  /**
   * Set in watch mode when the testbed could not start or the migrations became invalid after an
   * edit: every test file then fails with this error until it is fixed.
   */
  error?: { code: string; message: string }
}

/** Something holding connections to the file's database, closed before the drop. */
export interface Closable {
  close(): Promise<void>
}

/** One test file's database, from {@link openTestFile}. */
export interface TestFile {
  readonly name: string
  readonly url: string
  /** The test file, relative to the project's root. */
  readonly label: string
  /** The `application_name` of the file's sessions (also put in `PGAPPNAME`). */
  readonly applicationName: string
  /** Pools a runner's fixtures opened; closed before the database is dropped. */
  readonly closables: Set<Closable>
  /**
   * A `pg` pool on the file's database, its sessions named after the file; closed by `close()` or
   * before the drop. A connection that breaks is reported, never a crash of the worker.
   */
  openPool(max: number): FilePool
  /**
   * After the file: keeps the database and prints its URL (password masked) when `failed` and
   * `keepOnFailure`, else drops it and names the sessions the file left open. Problems are
   * reported, not thrown: the file's result stands and `pgtestbed gc` cleans up later.
   */
  release(failed: boolean): Promise<void>
}

/** A pool from {@link TestFile.openPool}. */
export interface FilePool extends Closable {
  readonly pool: pg.Pool
}

/** Options of {@link openTestFile}. */
export interface OpenTestFileOptions {
  /** The runner's name, first in `application_name` (`vitest`, `jest`, `node`). */
  runner: string
  /** The test file's absolute path. */
  testPath: string | undefined
  /** The environment the file reads. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Where messages go. Default: `console.error`. */
  print?: (text: string) => void
}

/** How long closing the fixtures' pools may take before the drop goes ahead anyway. */
const CLOSE_TIMEOUT_MS = 2_000

/** PostgreSQL keeps the first 63 bytes of `application_name`. */
const MAX_APPLICATION_NAME_BYTES = 63

/**
 * `<runner> <file>`, cut to the 63 bytes PostgreSQL keeps (by bytes, never inside a character).
 *
 * @example
 * applicationName('vitest', 'test/users.test.ts') // 'vitest test/users.test.ts'
 */
export function applicationName(runner: string, label: string): string {
  return Buffer.from(`${runner} ${label}`)
    .subarray(0, MAX_APPLICATION_NAME_BYTES)
    .toString()
    .replace(/\uFFFD+$/, '')
}

/** The file whose database is open in this module instance (the runner's fixtures read it). */
let current: TestFile | undefined

/**
 * The name this worker's database keeps across its files in scope `'worker'`, per template. A
 * module variable is enough: where a runner shares modules across files it shares this one too.
 */
const workerNames = new Map<string, string>()

/** The test file whose database is open right now, if the runner's setup opened one. */
export function currentTestFile(): TestFile | undefined {
  return current
}

/**
 * The error a test file gets when it has no database of its own: it must never fall through to
 * whatever `DATABASE_URL` the shell had.
 */
export function noTestDatabase(what: string, fix: string): PgtestbedError {
  return new PgtestbedError(
    'NO_TEST_DATABASE',
    `${what}: this test file has no database of its own`,
    {
      fix,
    },
  )
}

async function closeAll(closables: Set<Closable>): Promise<void> {
  const all = Promise.allSettled([...closables].map((c) => c.close()))
  let timer: NodeJS.Timeout | undefined
  // A client checked out and never released keeps pool.end() waiting: the drop then ends it.
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)
  })
  await Promise.race([all, timeout])
  clearTimeout(timer)
  closables.clear()
}

/** The warning for sessions a test file left open: who they are, and what to do. */
function leakReport(label: string, name: string, leaked: readonly LeakedConnection[]): string {
  const sessions = formatLeakedConnections(leaked)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
  return `[pgtestbed] ${label} left ${plural(leaked.length, 'connection')} open to its database ${name}; the drop closed ${leaked.length === 1 ? 'it' : 'them'}:\n${sessions}\n  fix: close the pools and clients your tests open in afterAll (await pool.end())`
}

function days(ms: number): string {
  const hours = Math.round(ms / 3_600_000)
  return hours % 24 === 0 ? plural(hours / 24, 'day') : plural(hours, 'hour')
}

/** Ends every session on database `name` (they belong to this worker's files). */
async function endSessions(adminUrl: string, name: string): Promise<void> {
  await withAdminClient(adminUrl, (client) =>
    client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    ),
  )
}

/** Renames database `from` to `to` once no session holds it (sessions are ended first). */
async function renameDatabase(adminUrl: string, from: string, to: string): Promise<void> {
  await withTerminationGuard(async () => {
    for (let attempt = 0; ; attempt++) {
      await endSessions(adminUrl, from)
      try {
        await withAdminClient(adminUrl, (client) =>
          client.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`),
        )
        return
      } catch (error) {
        // 55006: a pool reconnected between the two statements; end it again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error
      }
    }
  })
}

/**
 * The database of a file in scope `'worker'`: a fresh clone renamed to the worker's name, after
 * dropping a copy of that name an earlier file could not drop.
 */
async function cloneInPlace(context: TestFileContext, label: string): Promise<ClonedDatabase> {
  let name = workerNames.get(context.template)
  if (!name) {
    name = cloneNameFor(context.template)
    workerNames.set(context.template, name)
  }
  const stale = await attachClone(context, name)
  if (stale) await withTerminationGuard(() => stale.drop())
  const fresh = await cloneDatabase(context, { label })
  await renameDatabase(context.adminUrl, fresh.name, name)
  const db = await attachClone(context, name)
  if (!db) throw new PgtestbedError('CLONE_FAILED', `database "${name}" vanished after its clone`)
  return db
}

/**
 * The per-file part of every runner adapter: clones the template into the test file's own
 * database (or re-clones the worker's database in place, scope `'worker'`), puts its URL in
 * `env[envVar]` and the file's name in `PGAPPNAME` before the file's imports run, and notes it in
 * the run folder (a file that fails to load runs no hook: the main process finishes it).
 * `release()` after the file keeps it on failure, else drops it and reports leaked sessions.
 *
 * @example
 * const file = await openTestFile(context, { runner: 'node', testPath })
 * // … the file's tests run …
 * await file.release(failed)
 * @throws PgtestbedError NO_TEST_DATABASE without a context; the watch-mode error of the context;
 *   CLONE_FAILED, SERVER_UNREACHABLE.
 */
export async function openTestFile(
  context: TestFileContext | undefined,
  options: OpenTestFileOptions,
): Promise<TestFile> {
  if (!context) {
    throw noTestDatabase(
      `the pgtestbed ${options.runner} setup found no testbed`,
      `use pgtestbed's ${options.runner} integration as its README shows, instead of loading its per-file setup by hand`,
    )
  }
  if (context.error) {
    throw new PgtestbedError(context.error.code as ErrorCode, context.error.message)
  }
  const env = options.env ?? process.env
  const print = options.print ?? ((text: string) => console.error(text))
  const label = options.testPath
    ? displayPath(options.testPath, context.root)
    : '(unknown test file)'
  const worker = context.scope === 'worker'
  const db = worker ? await cloneInPlace(context, label) : await cloneDatabase(context, { label })
  const runDir = context.runDir
  if (runDir) {
    noteOpenDatabase(runDir, {
      file: label,
      project: context.projectName,
      name: db.name,
      adminUrl: context.adminUrl,
      template: context.template,
      pid: process.pid,
    })
  }
  const envVar = context.envVar
  const previous = env[envVar]
  env[envVar] = db.url
  // pg, psql and most drivers name their sessions after PGAPPNAME: pg_stat_activity (and the
  // leaked-connections report) then shows which test file a session belongs to.
  const appName = applicationName(options.runner, label)
  const setAppName =
    env.PGAPPNAME === undefined || (worker && env.PGAPPNAME.startsWith(options.runner))
  if (setAppName) env.PGAPPNAME = appName

  const file: TestFile = {
    name: db.name,
    url: db.url,
    label,
    applicationName: appName,
    closables: new Set(),
    openPool(max) {
      const pool = new pg.Pool({ connectionString: db.url, application_name: appName, max })
      let closing = false
      pool.on('error', (error) => {
        if (!closing) print(`[pgtestbed] the pool of ${label} lost a connection: ${error.message}`)
      })
      let ended: Promise<void> | undefined
      const handle: FilePool = {
        pool,
        close() {
          closing = true
          file.closables.delete(handle)
          return (ended ??= pool.end())
        },
      }
      file.closables.add(handle)
      return handle
    },
    async release(failed) {
      try {
        await closeAll(file.closables)
        if (failed && context.keepOnFailure) {
          await keep(context, db, label, print)
          return
        }
        // With a pool, its refiller drops the database in the background and the file does not
        // wait for the DROP. Sessions still open make the file drop it itself (and name them).
        if (context.pool && !worker && (await db.handOff().catch(() => false))) return
        // The drop ends sessions the file left open; their clients' errors must not fail the run.
        const result = await withTerminationGuard(() => db.drop())
        const leaked = result.leakedConnections
        if (!worker && leaked.length > 0) print(leakReport(label, db.name, leaked))
      } catch (error) {
        print(
          `[pgtestbed] could not clean up the database ${db.name} of ${label}: ${(error as Error).message}`,
        )
      } finally {
        if (runDir) forgetOpenDatabase(runDir, db.name)
        if (current === file) current = undefined
        // Scope 'worker': the next file puts the same URL back; modules keep reading it meanwhile.
        if (!worker) {
          if (previous === undefined) delete env[envVar]
          else env[envVar] = previous
          if (setAppName && env.PGAPPNAME === appName) delete env.PGAPPNAME
        }
      }
    },
  }
  current = file
  return file
}

/**
 * Keeps a failed file's database for debugging and prints its URL with the password masked. In
 * scope `'worker'` it first moves to a name of its own, so the worker's name is free again.
 */
async function keep(
  context: TestFileContext,
  db: ClonedDatabase,
  label: string,
  print: (text: string) => void,
): Promise<void> {
  let kept = db
  if (context.scope === 'worker') {
    const name = cloneNameFor(context.template)
    await renameDatabase(context.adminUrl, db.name, name)
    kept = (await attachClone(context, name)) ?? db
  }
  const url = redactUrl(await kept.keep())
  if (context.runDir) {
    noteKeptDatabase(context.runDir, {
      file: label,
      project: context.projectName,
      name: kept.name,
      url,
    })
  }
  print(
    `[pgtestbed] kept the database of ${label} because a test failed: ${url}\n    drop it with DROP DATABASE "${kept.name}", or leave it: a later run drops kept databases after ${days(context.keptTtlMs)}`,
  )
}
