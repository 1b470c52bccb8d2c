import os from 'node:os'
import path from 'node:path'
import fg from 'fast-glob'
import type { Testbed } from '../testbed/types.js'
import type { TestFileContext } from '../worker/test-file.js'
import type { RunnerOptions } from './options.js'

/** What an adapter adds to a testbed's context for its test files. */
type ContextExtras = Partial<Pick<TestFileContext, 'runDir' | 'scope' | 'error'>>

/**
 * What every test file of a project needs from its testbed (see `openTestFile`), without the
 * file's own root and project name, which adapters that publish one payload per project add in
 * the worker.
 *
 * @example
 * const context = { ...projectContext(testbed, options, { runDir }), root, projectName: '' }
 */
export function projectContext(
  testbed: Testbed,
  options: Pick<RunnerOptions, 'envVar' | 'keepOnFailure' | 'keptTtlMs'>,
  extras: ContextExtras = {},
): Omit<TestFileContext, 'root' | 'projectName'> {
  const defined = Object.entries(extras).filter(([, value]) => value !== undefined)
  return {
    ...testbed.info,
    envVar: options.envVar,
    keepOnFailure: options.keepOnFailure,
    keptTtlMs: options.keptTtlMs,
    ...Object.fromEntries(defined),
  }
}

/**
 * How many test files a runner runs at once, which sizes the default clone pool: the first of
 * `candidates` (the runner's options, most specific first) that is a positive number, a number in
 * a string, or a share of the CPUs (`'50%'`); else the runners' usual default, the CPUs less one
 * (half of them in watch mode), at least one.
 *
 * @example
 * workerCount([config.maxWorkers], { watch: false }) // 3 on 4 CPUs without maxWorkers
 */
export function workerCount(
  candidates: ReadonlyArray<number | string | undefined>,
  { watch = false }: { watch?: boolean | undefined } = {},
): number {
  const cpus = os.availableParallelism()
  for (const value of candidates) {
    const percent = typeof value === 'string' ? /^(\d+)%$/.exec(value.trim()) : null
    if (percent) return Math.max(1, Math.round((Number(percent[1]) / 100) * cpus))
    const number = Number(value)
    if (value !== undefined && value !== '' && number >= 1) return Math.floor(number)
  }
  return Math.max(watch ? Math.floor(cpus / 2) : cpus - 1, 1)
}

/**
 * What a watch-mode runner watches to rerun every test when the schema's inputs change: the
 * migrations folder, and globs (absolute, `/`-separated) for its files and the seed files. The
 * folder's own glob characters are escaped.
 *
 * @example
 * const { dir, globs } = schemaInputs(options) // globs: ['/app/db/migrations/**', '/app/db/seed.sql']
 */
export function schemaInputs(options: Pick<RunnerOptions, 'testbed'>): {
  dir: string
  globs: string[]
} {
  const root = options.testbed.cwd ?? process.cwd()
  const dir = path.resolve(root, options.testbed.migrations ?? './migrations')
  const slashed = (file: string) => file.split(path.sep).join('/')
  const seeds = options.testbed.seeds
  const globs = [
    `${fg.escapePath(slashed(dir))}/**`,
    ...(typeof seeds === 'string' ? [seeds] : (seeds ?? []))
      .filter((pattern) => !pattern.startsWith('!'))
      .map((pattern) => slashed(path.resolve(root, pattern))),
  ]
  return { dir, globs }
}
