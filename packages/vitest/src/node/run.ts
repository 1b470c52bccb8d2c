import path from 'node:path'
import {
  formatDiagnostics,
  isPgtestbedError,
  resolveCacheDir,
  startTestbed,
  type Reporter,
  type Testbed,
} from '@pgtestbed/core'
import { createRunDir, readKeptDatabases, removeRunDir } from '../run-notes.js'
import type { PgtestbedContext } from '../provided.js'
import { sharedState } from '../shared.js'
import { describeError } from './errors.js'
import { dropLeftovers } from './leftovers.js'
import type { ProjectOptions } from './resolve-options.js'

/** The part of Vitest's `TestProject` this module uses (the same in Vitest 3.2, 4 and 5). */
export interface ProjectHandle {
  readonly name: string
  readonly config: { root: string }
  provide(key: 'pgtestbed', value: PgtestbedContext): void
}

/**
 * One testbed of a run, shared by the projects whose options are equal. In watch mode a testbed
 * that failed to start stays registered with its error, so that a rerun can try again.
 */
export interface TestbedEntry {
  readonly key: string
  readonly options: ProjectOptions
  readonly reporter: Reporter
  testbed: Testbed | undefined
  /** Why the testbed is not usable right now (watch mode only). */
  error: { code: string; message: string } | undefined
  /** The projects using it, with their own settings. */
  readonly projects: Map<ProjectHandle, ProjectOptions>
  refs: number
  closed: boolean
  watching: boolean
}

/** Everything one Vitest instance's run holds. */
export interface RunState {
  /** Where workers note the databases they keep. */
  readonly runDir: string
  readonly entries: Map<string, Promise<TestbedEntry>>
  /** Setups that have not been torn down yet. */
  users: number
  /** Cache folders of embedded servers left running for kept databases. */
  readonly keptServers: Set<string>
}

/** The run state of `vitest` (one per Vitest instance, created on first use). */
export function runFor(vitest: object): RunState {
  const runs = sharedState().runs as WeakMap<object, RunState>
  let run = runs.get(vitest)
  if (!run) {
    run = { runDir: createRunDir(), entries: new Map(), users: 0, keptServers: new Set() }
    runs.set(vitest, run)
  }
  return run
}

/** Forgets the run state of `vitest` and removes its run folder. */
export function endRun(vitest: object, run: RunState): void {
  const runs = sharedState().runs as WeakMap<object, RunState>
  if (runs.get(vitest) === run) runs.delete(vitest)
  removeRunDir(run.runDir)
}

function errorFields(error: unknown): { code: string; message: string } {
  return {
    code: isPgtestbedError(error) ? error.code : 'UNKNOWN',
    message: describeError(error),
  }
}

function printWarnings(entry: TestbedEntry, testbed: Testbed): void {
  const warnings = testbed.diagnostics
  if (warnings.length === 0) return
  const cwd = entry.options.testbed.cwd
  entry.reporter.warn(
    `${warnings.length} warning${warnings.length === 1 ? '' : 's'} about the migrations (the run goes on):\n${formatDiagnostics(warnings, cwd ? { cwd } : {})}`,
  )
}

async function start(entry: TestbedEntry): Promise<void> {
  const testbed = await startTestbed({ ...entry.options.testbed, reporter: entry.reporter })
  entry.testbed = testbed
  entry.error = undefined
  entry.reporter.info(testbed.summary)
  printWarnings(entry, testbed)
}

/**
 * The testbed for `options`, started on first use and shared by later projects with the same
 * options. When it cannot start: in watch mode the entry keeps the error (workers fail with it,
 * the next rerun tries again); otherwise the error is thrown.
 */
export async function acquireTestbed(
  run: RunState,
  options: ProjectOptions,
  reporter: Reporter,
  watch: boolean,
): Promise<TestbedEntry> {
  let pending = run.entries.get(options.key)
  if (!pending) {
    const entry: TestbedEntry = {
      key: options.key,
      options,
      reporter,
      testbed: undefined,
      error: undefined,
      projects: new Map(),
      refs: 0,
      closed: false,
      watching: false,
    }
    pending = start(entry).then(
      () => entry,
      (error: unknown) => {
        if (!watch) throw error
        entry.error = errorFields(error)
        reporter.warn(
          `[${entry.error.code}] ${entry.error.message}\n(tests fail until this is fixed; saving a file reruns them)`,
        )
        return entry
      },
    )
    run.entries.set(options.key, pending)
    pending.catch(() => run.entries.delete(options.key))
  }
  const entry = await pending
  entry.refs++
  return entry
}

/** What a project's workers receive through `inject('pgtestbed')`. */
function contextFor(
  run: RunState,
  entry: TestbedEntry,
  project: ProjectHandle,
  options: ProjectOptions,
): PgtestbedContext | undefined {
  if (!entry.testbed) return undefined
  return {
    ...entry.testbed.info,
    root: project.config.root,
    projectName: project.name,
    envVar: options.envVar,
    keepOnFailure: options.keepOnFailure,
    runDir: run.runDir,
    ...(entry.error ? { error: entry.error } : {}),
  }
}

/** Hands the entry's current state to the workers of every project using it. */
export function provideAll(run: RunState, entry: TestbedEntry): void {
  for (const [project, options] of entry.projects) {
    const context = contextFor(run, entry, project, options)
    if (context) {
      project.provide('pgtestbed', context)
    } else {
      // No testbed yet (watch mode, failed start): workers fail with the error.
      project.provide('pgtestbed', {
        error: entry.error ?? { code: 'UNKNOWN', message: 'the testbed did not start' },
      } as PgtestbedContext)
    }
  }
}

/**
 * Watch mode, before every rerun: starts the testbed if it had failed, else rediscovers the
 * migrations and rebuilds the template when they changed; then re-provides. Prints one line
 * saying which happened.
 */
export async function refreshEntry(run: RunState, entry: TestbedEntry): Promise<void> {
  if (entry.closed) return
  await dropLeftovers(run.runDir, entry.reporter, { all: false })
  const started = performance.now()
  try {
    if (!entry.testbed) {
      await start(entry)
    } else {
      const result = await entry.testbed.refresh()
      entry.error = undefined
      const template = entry.testbed.template
      const count = entry.testbed.set.migrations.length
      const short = template.name.slice(0, 'pgtestbed_tpl_'.length + 8)
      if (result.changed) {
        entry.reporter.info(
          `rerun: migrations changed · ${count} migration${count === 1 ? '' : 's'} · template ${short} ${template.status} · ${Math.round(performance.now() - started)} ms`,
        )
        printWarnings(entry, entry.testbed)
      } else {
        entry.reporter.info(`rerun: migrations unchanged · template ${short} reused`)
      }
    }
  } catch (error) {
    entry.error = errorFields(error)
    entry.reporter.warn(
      `rerun: [${entry.error.code}] ${entry.error.message}\n(tests fail until this is fixed)`,
    )
  }
  provideAll(run, entry)
}

/**
 * Lets go of a project's share of the entry; the last share closes the testbed, keeping an
 * embedded server running when a test file kept its database (so its URL keeps working).
 */
export async function releaseTestbed(
  run: RunState,
  entry: TestbedEntry,
  project: ProjectHandle,
): Promise<void> {
  entry.projects.delete(project)
  entry.refs--
  if (entry.refs > 0) return
  // Every file has finished: whatever is still open belongs to a file that never ran its hooks.
  await dropLeftovers(run.runDir, entry.reporter, { all: true })
  entry.closed = true
  if (run.entries.get(entry.key) !== undefined) run.entries.delete(entry.key)
  const testbed = entry.testbed
  if (!testbed) return
  const keepServer = readKeptDatabases(run.runDir).length > 0
  await testbed.close({ keepServer })
  if (keepServer && testbed.info.server.kind === 'embedded') {
    const { cacheDir, cwd } = entry.options.testbed
    run.keptServers.add(
      resolveCacheDir({ ...(cacheDir ? { cacheDir } : {}), ...(cwd ? { cwd } : {}) }),
    )
  }
}

/** The absolute migrations folder of a project's options. */
export function migrationsDirOf(options: ProjectOptions): string {
  return path.resolve(
    options.testbed.cwd ?? process.cwd(),
    options.testbed.migrations ?? './migrations',
  )
}
