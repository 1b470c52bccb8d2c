import type { Reporter } from '@pgtestbed/core'
import {
  projectContext,
  TestbedRegistry,
  workerCount,
  type RegistryEntry,
  type TestFileScope,
} from '@pgtestbed/core/runner'
import type { PgtestbedContext } from '../provided.js'
import { sharedState } from '../shared.js'

import type { ProjectOptions } from './resolve-options.js'

/** The part of a Vitest config (a project's, or the root one) this module reads. */
interface RunnerConfig {
  root: string
  pool?: string
  isolate?: boolean
  poolOptions?: unknown
  maxWorkers?: number | string
  fileParallelism?: boolean
  watch?: boolean
}

/** The part of Vitest's `TestProject` this module uses (the same in Vitest 3.2, 4 and 5). */
export interface ProjectHandle {
  readonly name: string
  readonly config: RunnerConfig
  readonly vitest?: { readonly config: RunnerConfig }
  provide(key: 'pgtestbed', value: PgtestbedContext): void
}

/** What the plugin keeps per testbed: the projects using it, with their own settings. */
interface ProjectShares {
  readonly projects: Map<ProjectHandle, ProjectOptions>
  refs: number
  closed: boolean
  watching: boolean
}

export type TestbedEntry = RegistryEntry<ProjectShares>

/** Everything one Vitest instance's run holds. */
export interface RunState {
  /** The testbeds, and the run folder workers note their databases in. */
  readonly registry: TestbedRegistry<ProjectShares>
  /** Setups that have not been torn down yet. */
  users: number
}

/** The run state of `vitest` (one per Vitest instance, created on first use). */
export function runFor(vitest: object): RunState {
  const runs = sharedState().runs as WeakMap<object, RunState>
  let run = runs.get(vitest)
  if (!run) {
    run = { registry: new TestbedRegistry(), users: 0 }
    runs.set(vitest, run)
  }
  return run
}

/** Forgets the run state of `vitest`, prints the kept databases and removes the run folder. */
export function endRun(vitest: object, run: RunState): void {
  const runs = sharedState().runs as WeakMap<object, RunState>
  if (runs.get(vitest) === run) runs.delete(vitest)
  run.registry.endRun()
}

/** Vitest 3.2's per-pool options (`poolOptions[pool]`) read here. */
interface PoolOptions {
  isolate?: boolean
  maxForks?: number | string
  maxThreads?: number | string
  singleFork?: boolean
  singleThread?: boolean
}

function poolOptionsOf(config: RunnerConfig): PoolOptions | undefined {
  return (config.poolOptions as Record<string, PoolOptions> | undefined)?.[config.pool ?? 'forks']
}

/**
 * How many test files of a project Vitest runs at once (it sizes the default clone pool): 1
 * without file parallelism or with a single fork or thread, else the pool's own maximum (Vitest
 * 3.2), `maxWorkers` of the project or the root, or Vitest's default.
 */
export function workersOf(project: ProjectHandle): number {
  const { config } = project
  const root = project.vitest?.config ?? config
  const perPool = poolOptionsOf(config)
  if (config.fileParallelism === false || root.fileParallelism === false) return 1
  if (perPool?.singleFork || perPool?.singleThread) return 1
  const candidates = [perPool?.maxForks ?? perPool?.maxThreads, config.maxWorkers, root.maxWorkers]
  return workerCount(candidates, { watch: root.watch })
}

/**
 * The testbed for `options`, shared by later projects with the same options; when it cannot
 * start, the entry holds the error (watch mode retries before each rerun).
 */
export async function acquireTestbed(
  run: RunState,
  options: ProjectOptions,
  reporter: Reporter,
  workers: number,
): Promise<TestbedEntry> {
  // A testbed that cannot start is kept with its error, which the project's test files then fail
  // with: Vitest prints it once, under them. Thrown from globalSetup instead, it would come with
  // Vitest's "No test files found" and include/exclude lists under an "Unhandled Error" banner.
  const entry = await run.registry.open(options, {
    reporter,
    failures: 'keep',
    overrides: { workers },
    data: () => ({ projects: new Map(), refs: 0, closed: false, watching: false }),
  })
  entry.data.refs++
  return entry
}

/**
 * `'worker'` where the files of a worker may share modules (and so pools created at import):
 * with `isolate: false` (Vitest 3.2 reads it per pool, in `poolOptions`), and in the vm pools,
 * whose files may share them.
 */
function scopeOf(config: RunnerConfig): TestFileScope {
  const isolate = poolOptionsOf(config)?.isolate ?? config.isolate ?? true
  return !isolate || (config.pool ?? 'forks').startsWith('vm') ? 'worker' : 'file'
}

/** Hands the entry's current state to the workers of every project using it. */
export function provideAll(run: RunState, entry: TestbedEntry): void {
  for (const [project, options] of entry.data.projects) {
    if (!entry.testbed) {
      // No testbed (a failed start; watch mode retries): the project's files fail with the error.
      const error = entry.error ?? { code: 'UNKNOWN', message: 'the testbed did not start' }
      project.provide('pgtestbed', { error } as PgtestbedContext)
      continue
    }
    const extras = {
      runDir: run.registry.runDir,
      scope: scopeOf(project.config),
      error: entry.error,
    }
    project.provide('pgtestbed', {
      ...projectContext(entry.testbed, options, extras),
      root: project.config.root,
      projectName: project.name,
    })
  }
}

/** Watch mode, before every rerun: refreshes the testbed, then re-provides. */
export async function refreshEntry(run: RunState, entry: TestbedEntry): Promise<void> {
  if (entry.data.closed) return
  await run.registry.refresh(entry)
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
  entry.data.projects.delete(project)
  if (--entry.data.refs > 0) return
  entry.data.closed = true
  await run.registry.closeRun([entry])
}
