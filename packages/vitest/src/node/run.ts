import os from 'node:os'
import path from 'node:path'
import type { Reporter } from '@pgtestbed/core'
import {
  createRunDir,
  dropLeftovers,
  readKeptDatabases,
  removeRunDir,
  TestbedRegistry,
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
  /** Where workers note the databases they use and keep. */
  readonly runDir: string
  readonly registry: TestbedRegistry<ProjectShares>
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
    run = {
      runDir: createRunDir(),
      registry: new TestbedRegistry(),
      users: 0,
      keptServers: new Set(),
    }
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

/** A worker count from a Vitest option: a number, or a percentage of the CPUs (`'50%'`). */
function count(value: number | string | undefined, cpus: number): number | undefined {
  if (typeof value === 'number') return value > 0 ? Math.floor(value) : undefined
  const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value.trim()) : null
  if (percent) return Math.max(1, Math.round((Number(percent[1]) / 100) * cpus))
  const number = Number(value)
  return value !== undefined && number > 0 ? Math.floor(number) : undefined
}

/**
 * How many test files of a project Vitest runs at once, as Vitest 3.2 to 5 decide it: 1 without
 * file parallelism or with a single fork or thread, else the pool's own maximum (Vitest 3.2's
 * `poolOptions`), `maxWorkers` of the project or the root, or Vitest's default (the CPUs less
 * one, half of them in watch mode). It sizes the default clone pool.
 */
export function workersOf(project: ProjectHandle): number {
  const cpus = os.availableParallelism()
  const root = project.vitest?.config ?? project.config
  const config = project.config
  if (config.fileParallelism === false || root.fileParallelism === false) return 1
  const pool = config.pool ?? 'forks'
  const perPool = (
    config.poolOptions as
      | Record<
          string,
          {
            maxForks?: number | string
            maxThreads?: number | string
            singleFork?: boolean
            singleThread?: boolean
          }
        >
      | undefined
  )?.[pool]
  if (perPool?.singleFork || perPool?.singleThread) return 1
  return (
    count(perPool?.maxForks ?? perPool?.maxThreads, cpus) ??
    count(config.maxWorkers, cpus) ??
    count(root.maxWorkers, cpus) ??
    (root.watch ? Math.max(Math.floor(cpus / 2), 1) : Math.max(cpus - 1, 1))
  )
}

/** The testbed for `options`, shared by later projects with the same options. */
export async function acquireTestbed(
  run: RunState,
  options: ProjectOptions,
  reporter: Reporter,
  watch: boolean,
  workers: number,
): Promise<TestbedEntry> {
  const entry = await run.registry.open(options, {
    reporter,
    watch,
    overrides: { workers },
    data: () => ({ projects: new Map(), refs: 0, closed: false, watching: false }),
  })
  entry.data.refs++
  return entry
}

/**
 * `'worker'` where the files of a worker may share modules (and so pools created at import):
 * with `isolate: false` (Vitest 3.2 reads it per pool, in `poolOptions`), and in the vm pools,
 * whose files share them on Vitest 4.1.
 */
function scopeOf(config: ProjectHandle['config']): TestFileScope {
  const pool = config.pool ?? 'forks'
  const perPool = (config.poolOptions as Record<string, { isolate?: boolean }> | undefined)?.[pool]
  const isolate = perPool?.isolate ?? config.isolate ?? true
  return !isolate || pool.startsWith('vm') ? 'worker' : 'file'
}

/** Hands the entry's current state to the workers of every project using it. */
export function provideAll(run: RunState, entry: TestbedEntry): void {
  for (const [project, options] of entry.data.projects) {
    if (!entry.testbed) {
      // No testbed yet (watch mode, failed start): workers fail with the error.
      const error = entry.error ?? { code: 'UNKNOWN', message: 'the testbed did not start' }
      project.provide('pgtestbed', { error } as PgtestbedContext)
      continue
    }
    project.provide('pgtestbed', {
      ...entry.testbed.info,
      root: project.config.root,
      projectName: project.name,
      envVar: options.envVar,
      keepOnFailure: options.keepOnFailure,
      keptTtlMs: options.keptTtlMs,
      runDir: run.runDir,
      scope: scopeOf(project.config),
      ...(entry.error ? { error: entry.error } : {}),
    })
  }
}

/** Watch mode, before every rerun: refreshes the testbed, then re-provides. */
export async function refreshEntry(run: RunState, entry: TestbedEntry): Promise<void> {
  if (entry.data.closed) return
  await dropLeftovers(run.runDir, entry.reporter, { all: false })
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
  // Every file has finished: whatever is still open belongs to a file that never ran its hooks.
  await dropLeftovers(run.runDir, entry.reporter, { all: true })
  entry.data.closed = true
  const keepServer = readKeptDatabases(run.runDir).length > 0
  await run.registry.close(entry, { keepServer })
  if (keepServer && entry.testbed?.info.server.kind === 'embedded') {
    run.keptServers.add(entry.options.cacheDir)
  }
}

/** The absolute migrations folder of a project's options. */
export function migrationsDirOf(options: ProjectOptions): string {
  return path.resolve(
    options.testbed.cwd ?? process.cwd(),
    options.testbed.migrations ?? './migrations',
  )
}
