import {
  createLintHook,
  loadConfig,
  resolveCacheDir,
  validateConfig,
  type TestbedOptions,
} from '@pgtestbed/core'
import {
  DEFAULT_ENV_VAR,
  DEFAULT_KEEP_ON_FAILURE,
  optionsPlace,
  projectOptionsOf,
  stableJson,
  type JestProjectConfig,
  type PgtestbedJestOptions,
  type ProjectOptions,
} from './project.js'

export { projectKey, type JestProjectConfig, type ProjectOptions } from './project.js'

/** Options after merging the config file: what `startTestbed` and the environment need. */
export interface ResolvedOptions {
  testbed: TestbedOptions
  envVar: string
  keepOnFailure: boolean
  /** Identifies the server choice, so a worker can reuse the server globalSetup resolved. */
  serverKey: string
  /** The `pgtestbed.config.*` file that was merged, if any. */
  configFile: string | undefined
}

/**
 * Reads and checks `testEnvironmentOptions.pgtestbed` of a project config.
 *
 * @throws PgtestbedError INVALID_OPTIONS naming each bad key.
 */
export function readProjectOptions(config: JestProjectConfig): ProjectOptions {
  const project = projectOptionsOf(config)
  return { ...project, options: validateConfig(project.options, optionsPlace(config)) }
}

/**
 * Merges the nearest `pgtestbed.config.*` (searched from `rootDir` up to the workspace root) under
 * the Jest options and turns the result into `startTestbed` options.
 *
 * @throws PgtestbedError CONFIG_LOAD_FAILED, INVALID_OPTIONS.
 */
export async function resolveOptions(project: ProjectOptions): Promise<ResolvedOptions> {
  const { config, file } = await loadConfig({ cwd: project.rootDir })
  const merged: PgtestbedJestOptions = { ...config, ...project.options }
  const { envVar, keepOnFailure, lint, ...testbed } = merged
  const cacheDir = resolveCacheDir({ cwd: project.rootDir, cacheDir: testbed.cacheDir })
  const serverKey = stableJson({
    server: testbed.server ?? 'auto',
    url: testbed.url ?? (process.env.PGTESTBED_URL || undefined),
    cacheDir,
    embedded: testbed.embedded,
    docker: testbed.docker,
  })
  // Lint findings are cached in the cache folder the embedded server uses (the CLI's too).
  const hook = createLintHook(lint, { cacheDir })
  return {
    testbed: { ...testbed, cwd: project.rootDir, ...(hook ? { lint: hook } : {}) },
    envVar: envVar ?? DEFAULT_ENV_VAR,
    keepOnFailure: keepOnFailure ?? DEFAULT_KEEP_ON_FAILURE,
    serverKey,
    configFile: file,
  }
}
