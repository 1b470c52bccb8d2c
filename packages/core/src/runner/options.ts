import { loadConfig } from '../config/load.js'
import type { PgtestbedConfig } from '../config/types.js'
import { validateConfig } from '../config/validate.js'
import { PgtestbedError } from '../errors.js'
import { createLintHook } from '../lint/hook.js'
import { resolveCacheDir } from '../servers/embedded/paths.js'
import type { TestbedOptions } from '../testbed/types.js'
import { DEFAULT_KEPT_TTL_MS } from '../templates/sweep.js'

/** Default of `envVar`: the variable each test file finds its database URL in. */
export const DEFAULT_ENV_VAR = 'DATABASE_URL'

/** Default of `keepOnFailure`: keep (and print the URL of) the database of a failed test file. */
export const DEFAULT_KEEP_ON_FAILURE = true

/** What {@link resolveRunnerOptions} merges for one project of a test runner. */
export interface RunnerOptionsInput {
  /** The project's root: relative runner options and the config file search start here. */
  root: string
  /** The options given to the runner integration (plugin options, `testEnvironmentOptions`…). */
  options: PgtestbedConfig
  /** Where those options are written, for messages (`the pgtestbed() plugin options in …`). */
  where: string
  /** Options for this project only, applied over `options`, and where they are written. */
  project?: { options: PgtestbedConfig | undefined; where: string }
  /**
   * The `pgtestbed.config.*` file to read (relative to `root`), or `false` for none. Default: the
   * nearest one from `root` up to the workspace root; none is fine.
   */
  configFile?: string | false
  /** Keys of the runner's own options (checked by the adapter), named when a key is unknown. */
  runnerKeys?: readonly string[]
}

/** One project's options after merging and checking: what the runner layer works with. */
export interface RunnerOptions {
  /** What `startTestbed` gets (without a reporter). */
  testbed: TestbedOptions
  /** Projects whose keys are equal share one testbed. */
  key: string
  /** Identifies the server choice alone, so a worker can reuse the server of the main process. */
  serverKey: string
  envVar: string
  keepOnFailure: boolean
  /** How long the start-up sweep leaves a kept database. */
  keptTtlMs: number
  /** The absolute embedded cache folder (for the command that stops a server kept up). */
  cacheDir: string
  /** The config file the options came from, if any. */
  configFile: string | undefined
}

function defined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {}
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** JSON with object keys sorted, so equal options give equal text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  )
}

/**
 * The options of one runner project: the `pgtestbed.config.*` file, then the runner's options,
 * then the project's own options (later ones win, key by key), each checked where it is written.
 * Every adapter resolves its options here, so they mean the same in Vitest, Jest and `node --test`.
 *
 * @example
 * const options = await resolveRunnerOptions({ root, options: pluginOptions, where: 'the pgtestbed() plugin options' })
 * const testbed = await startTestbed(options.testbed)
 * @throws PgtestbedError INVALID_OPTIONS for an unknown or mistyped key, CONFIG_LOAD_FAILED.
 */
export async function resolveRunnerOptions(input: RunnerOptionsInput): Promise<RunnerOptions> {
  validateConfig(input.options, input.where, input.runnerKeys)
  if (input.project?.options !== undefined)
    validateConfig(input.project.options, input.project.where)
  const file = input.configFile
  if (file !== undefined && file !== false && (typeof file !== 'string' || file.trim() === '')) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `\`configFile\` in ${input.where} must be a path or false, got ${JSON.stringify(file)}`,
      { fix: 'leave configFile out to search for pgtestbed.config.*, or set it to false' },
    )
  }
  const loaded =
    file === false
      ? { config: {} as PgtestbedConfig, file: undefined }
      : await loadConfig({ cwd: input.root, ...(typeof file === 'string' ? { file } : {}) })
  const merged: PgtestbedConfig = {
    ...defined(loaded.config),
    ...defined(input.options),
    ...defined(input.project?.options),
  }
  const {
    envVar = DEFAULT_ENV_VAR,
    keepOnFailure = DEFAULT_KEEP_ON_FAILURE,
    lint,
    ...rest
  } = merged
  const testbed: TestbedOptions = { ...rest, cwd: input.root }
  // Lint findings are cached in the cache folder the embedded server uses (the CLI's too).
  const cacheDir = resolveCacheDir({ cwd: input.root, cacheDir: rest.cacheDir })
  const hook = createLintHook(lint ?? true, { cacheDir })
  if (hook) testbed.lint = hook
  const sweep = rest.sweep === false ? undefined : rest.sweep
  return {
    testbed,
    key: stableJson({ ...rest, lint: lint ?? true, cwd: input.root }),
    serverKey: stableJson({
      server: rest.server ?? 'auto',
      url: rest.url ?? (process.env.PGTESTBED_URL || undefined),
      cacheDir,
      embedded: rest.embedded,
      docker: rest.docker,
    }),
    envVar,
    keepOnFailure,
    keptTtlMs: sweep?.keptTtlMs ?? DEFAULT_KEPT_TTL_MS,
    cacheDir,
    configFile: loaded.file,
  }
}
