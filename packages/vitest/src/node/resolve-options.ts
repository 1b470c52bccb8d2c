import {
  createLintHook,
  loadConfig,
  PgtestbedError,
  resolveCacheDir,
  validateConfig,
  type PgtestbedConfig,
  type TestbedOptions,
} from '@pgtestbed/core'
import {
  DEFAULT_ENV_VAR,
  DEFAULT_KEEP_ON_FAILURE,
  type PgtestbedPluginOptions,
} from '../options.js'

/** The options of one Vitest project, after merging the config file and checking everything. */
export interface ProjectOptions {
  /** What `startTestbed` gets (without a reporter). */
  testbed: TestbedOptions
  /** Projects whose keys are equal share one testbed. */
  key: string
  envVar: string
  keepOnFailure: boolean
  /** The config file the options came from, if any. */
  configFile: string | undefined
}

/** Where a Vitest project lives. */
export interface ProjectPlace {
  /** Absolute root of the project; relative plugin options are resolved against it. */
  root: string
  /** The project's name, `''` when unnamed. */
  name: string
  /** The config file that declared the plugin, for messages. */
  configFile: string | undefined
}

function withoutUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {}
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Merges a project's options: the `pgtestbed.config.*` file, then the plugin's options, then the
 * plugin's `projects[<name>]` entry (later ones win, key by key).
 *
 * @throws PgtestbedError INVALID_OPTIONS for an unknown or mistyped key, CONFIG_LOAD_FAILED.
 */
export async function resolveProjectOptions(
  plugin: PgtestbedPluginOptions,
  place: ProjectPlace,
): Promise<ProjectOptions> {
  const { projects, configFile: configFileOption, ...own } = plugin
  const where = `the pgtestbed() plugin options${place.configFile ? ` in ${place.configFile}` : ''}`
  validateConfig(own, where)
  if (projects !== undefined && (typeof projects !== 'object' || projects === null)) {
    throw new PgtestbedError('INVALID_OPTIONS', `\`projects\` in ${where} must be an object`, {
      fix: "map Vitest project names to options: projects: { api: { migrations: './api/migrations' } }",
    })
  }
  if (configFileOption !== undefined && configFileOption !== false) {
    if (typeof configFileOption !== 'string' || configFileOption.trim() === '') {
      throw new PgtestbedError(
        'INVALID_OPTIONS',
        `\`configFile\` in ${where} must be a path or false, got ${JSON.stringify(configFileOption)}`,
        { fix: 'leave configFile out to search for pgtestbed.config.*, or set it to false' },
      )
    }
  }
  const override = projects?.[place.name]
  if (override !== undefined) validateConfig(override, `${where}, projects.${place.name}`)

  const loaded =
    configFileOption === false
      ? { config: {} as PgtestbedConfig, file: undefined }
      : await loadConfig({
          cwd: place.root,
          ...(typeof configFileOption === 'string' ? { file: configFileOption } : {}),
        })
  const merged: PgtestbedConfig = {
    ...withoutUndefined(loaded.config),
    ...withoutUndefined(own),
    ...withoutUndefined(override),
  }
  const {
    envVar = DEFAULT_ENV_VAR,
    keepOnFailure = DEFAULT_KEEP_ON_FAILURE,
    lint,
    ...rest
  } = merged
  const testbed: TestbedOptions = { ...rest, cwd: place.root }
  // Lint findings are cached in the cache folder the embedded server uses (the CLI's too).
  const cacheDir = resolveCacheDir({ cwd: place.root, cacheDir: rest.cacheDir })
  const hook = createLintHook(lint ?? true, { cacheDir })
  if (hook) testbed.lint = hook
  return {
    testbed,
    key: JSON.stringify({ ...rest, lint: lint ?? true, cwd: place.root }),
    envVar,
    keepOnFailure,
    configFile: loaded.file,
  }
}
