import { PgtestbedError } from '@pgtestbed/core'
import { resolveRunnerOptions, type RunnerOptions } from '@pgtestbed/core/runner'
import type { PgtestbedPluginOptions } from '../options.js'

/** The options of one Vitest project, after merging the config file and checking everything. */
export type ProjectOptions = RunnerOptions

/** Where a Vitest project lives. */
export interface ProjectPlace {
  /** Absolute root of the project; relative plugin options are resolved against it. */
  root: string
  /** The project's name, `''` when unnamed. */
  name: string
  /** The config file that declared the plugin, for messages. */
  configFile: string | undefined
}

/**
 * Merges a project's options: the `pgtestbed.config.*` file, then the plugin's options, then the
 * plugin's `projects[<name>]` entry (core's runner layer does the merge and the checks).
 *
 * @throws PgtestbedError INVALID_OPTIONS for an unknown or mistyped key, CONFIG_LOAD_FAILED.
 */
export async function resolveProjectOptions(
  plugin: PgtestbedPluginOptions,
  place: ProjectPlace,
): Promise<ProjectOptions> {
  const { projects, configFile, ...own } = plugin
  const where = `the pgtestbed() plugin options${place.configFile ? ` in ${place.configFile}` : ''}`
  if (projects !== undefined && (typeof projects !== 'object' || projects === null)) {
    throw new PgtestbedError('INVALID_OPTIONS', `\`projects\` in ${where} must be an object`, {
      fix: "map Vitest project names to options: projects: { api: { migrations: './api/migrations' } }",
    })
  }
  return resolveRunnerOptions({
    root: place.root,
    options: own,
    where,
    project: { options: projects?.[place.name], where: `${where}, projects.${place.name}` },
    runnerKeys: ['projects', 'configFile'],
    ...(configFile === undefined ? {} : { configFile }),
  })
}
