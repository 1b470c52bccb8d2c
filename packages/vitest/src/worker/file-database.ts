import {
  cloneDatabase,
  displayPath,
  formatLeakedConnections,
  PgtestbedError,
  withTerminationGuard,
  type ClonedDatabase,
  type ErrorCode,
  type LeakedConnection,
} from '@pgtestbed/core/worker'
import { forgetOpenDatabase, noteKeptDatabase, noteOpenDatabase } from '../run-notes.js'
import type { PgtestbedContext } from '../provided.js'
import {
  applicationName,
  currentFileDatabase,
  setCurrentFileDatabase,
  type Closable,
  type FileDatabase,
} from './current.js'

/** The task shape this module reads (a Vitest file task and its children). */
interface TaskLike {
  type?: string
  filepath?: string
  result?: { state?: string }
  tasks?: TaskLike[]
}

function hasFailure(task: TaskLike): boolean {
  return task.result?.state === 'fail' || (task.tasks ?? []).some(hasFailure)
}

/** Vitest 3 passes the file task to `afterAll` hooks first; Vitest 4.1+ passes it second. */
function fileTaskOf(args: readonly unknown[]): TaskLike | undefined {
  return args.find(
    (arg): arg is TaskLike =>
      typeof arg === 'object' && arg !== null && typeof (arg as TaskLike).filepath === 'string',
  )
}

/** How long closing the fixtures' pools may take before the drop goes ahead anyway. */
const CLOSE_TIMEOUT_MS = 2_000

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
  const n = leaked.length
  const sessions = formatLeakedConnections(leaked)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
  return `[pgtestbed] ${label} left ${n} connection${n === 1 ? '' : 's'} open to its database ${name}; the drop closed ${n === 1 ? 'it' : 'them'}:\n${sessions}\n  fix: close the pools and clients your tests open in afterAll (await pool.end())`
}

/** What the setup file needs from Vitest. */
export interface FileHooks {
  /** Vitest's `afterAll`, registered from the setup file (so it runs after the file's own). */
  afterAll(fn: (...args: unknown[]) => Promise<void>): void
}

/**
 * The per-file part of the plugin: clones the template into a database of the file's own, puts
 * its URL in `process.env[envVar]` (before the test file is imported), and after the file drops
 * it, or keeps it and prints its URL when a test failed and `keepOnFailure` is on. Connections
 * still open at the drop are listed with the test file's name.
 *
 * @throws PgtestbedError when the globalSetup provided nothing, or an error (watch mode), or the
 *   clone fails.
 */
export async function openFileDatabase(
  context: PgtestbedContext | undefined,
  testPath: string | undefined,
  hooks: FileHooks,
): Promise<FileDatabase> {
  if (!context) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      "the pgtestbed setup file found no testbed: inject('pgtestbed') is empty",
      {
        fix: "add pgtestbed() to this project's plugins in vitest.config (it adds the globalSetup that provides it) instead of listing @pgtestbed/vitest's files yourself",
      },
    )
  }
  if (context.error) {
    throw new PgtestbedError(context.error.code as ErrorCode, context.error.message)
  }
  const label = testPath ? displayPath(testPath, context.root) : '(unknown test file)'
  const db: ClonedDatabase = await cloneDatabase(context, { label })
  // If the file fails to load, Vitest runs none of its hooks: the globalSetup's process then
  // finishes the database from this note.
  noteOpenDatabase(context.runDir, {
    file: label,
    project: context.projectName,
    name: db.name,
    adminUrl: context.adminUrl,
    template: context.template,
    pid: process.pid,
  })
  const envVar = context.envVar
  const previous = process.env[envVar]
  process.env[envVar] = db.url
  // pg, psql and most drivers name their sessions after PGAPPNAME: pg_stat_activity (and the
  // leaked-connections report) then shows which test file a session belongs to.
  const appName = process.env.PGAPPNAME === undefined ? applicationName(label) : undefined
  if (appName) process.env.PGAPPNAME = appName
  const file: FileDatabase = { name: db.name, url: db.url, label, closables: new Set() }
  setCurrentFileDatabase(file)

  // A plain function without parameters: Vitest reads a hook's first parameter as fixtures.
  hooks.afterAll(async function () {
    try {
      await closeAll(file.closables)
      // biome-ignore lint/complexity/noArguments: a declared parameter would make Vitest read it as fixtures
      const task = fileTaskOf([...arguments])
      if (context.keepOnFailure && task && hasFailure(task)) {
        const url = await db.keep()
        noteKeptDatabase(context.runDir, {
          file: label,
          project: context.projectName,
          name: db.name,
          url,
        })
        console.error(`[pgtestbed] kept the database of ${label} because a test failed: ${url}`)
        return
      }
      // The drop ends sessions the file left open; their clients' errors must not fail the run.
      // It stays in the file's own afterAll: measured on PostgreSQL 15 with fsync on, it costs
      // ~40-70 ms (the clone ~230-450 ms), and handing it to the main process only moved that
      // I/O next to the following clones, slowing both and ending the run later.
      const result = await withTerminationGuard(() => db.drop())
      const leaked = result.leakedConnections
      if (leaked.length > 0) console.warn(leakReport(label, db.name, leaked))
    } finally {
      forgetOpenDatabase(context.runDir, db.name)
      if (currentFileDatabase() === file) setCurrentFileDatabase(undefined)
      if (previous === undefined) delete process.env[envVar]
      else process.env[envVar] = previous
      if (appName && process.env.PGAPPNAME === appName) delete process.env.PGAPPNAME
    }
  })
  return file
}
