import { validateConfig } from '@pgtestbed/core'
import { resolveRunnerOptions, type RunnerOptions } from '@pgtestbed/core/runner'
import {
  optionsPlace,
  projectOptionsOf,
  type JestProjectConfig,
  type ProjectOptions,
} from './project.js'

export { projectKey, type JestProjectConfig, type ProjectOptions } from './project.js'

/** Options after merging the config file: core's runner options. */
export type ResolvedOptions = RunnerOptions

/**
 * Reads and checks `testEnvironmentOptions.pgtestbed` of a project config, so that globalSetup
 * fails on a bad key before anything starts.
 *
 * @throws PgtestbedError INVALID_OPTIONS naming each bad key.
 */
export function readProjectOptions(config: JestProjectConfig): ProjectOptions {
  const project = projectOptionsOf(config)
  return { ...project, options: validateConfig(project.options, optionsPlace(config)) }
}

/**
 * Merges the nearest `pgtestbed.config.*` (searched from `rootDir` up to the workspace root) under
 * the Jest options (core's runner layer does the merge and the checks).
 *
 * @throws PgtestbedError CONFIG_LOAD_FAILED, INVALID_OPTIONS.
 */
export function resolveOptions(project: ProjectOptions): Promise<ResolvedOptions> {
  return resolveRunnerOptions({
    root: project.rootDir,
    options: project.options,
    where: optionsPlace({ rootDir: project.rootDir }),
  })
}
