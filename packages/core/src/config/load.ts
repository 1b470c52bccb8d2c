import { existsSync } from 'node:fs'
import path from 'node:path'
import { lilconfig, type Loader } from 'lilconfig'
import type { DriftOptions } from '../diff/drift-options.js'
import { isPgtestbedError, PgtestbedError } from '../errors.js'
import { findWorkspaceRoot } from '../internal/workspace-root.js'
import type { PgtestbedConfig } from './types.js'
import { validateConfig } from './validate.js'

/** The file names {@link loadConfig} looks for, in this order, in each folder. */
export const CONFIG_FILE_NAMES = [
  'pgtestbed.config.ts',
  'pgtestbed.config.mts',
  'pgtestbed.config.cts',
  'pgtestbed.config.js',
  'pgtestbed.config.mjs',
  'pgtestbed.config.cjs',
  'pgtestbed.config.json',
] as const

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * Where the search starts; also what `file` is relative to.
   * Default: `process.cwd()`.
   */
  cwd?: string
  /**
   * Load this file instead of searching (e.g. the CLI's `--config`); it must exist.
   * Default: search from `cwd`.
   */
  file?: string
}

/** What {@link loadConfig} found. */
export interface LoadedConfig {
  /** The validated config, with relative paths made absolute; `{}` when no file was found. */
  config: PgtestbedConfig
  /** Absolute path of the file it came from; absent when there is none. */
  file?: string
}

/**
 * Finds and loads `pgtestbed.config.{ts,mts,cts,js,mjs,cjs,json}`.
 *
 * The search starts in `cwd` and goes up through the parent folders, stopping at the workspace
 * root (the topmost folder holding `pnpm-workspace.yaml`, a lockfile or `.git`): the nearest file
 * wins, so a package of a monorepo may have its own file or share the root's, and a file outside
 * the project (in the home folder) is never picked up. TypeScript and ESM files are loaded with
 * jiti, so no build step is needed. Relative paths in the file (`migrations`, `manifest`, `seeds`,
 * `cacheDir`, `embedded.memoryDir`, `drift.file`, `drift.inputs`, `migrate.cwd`) are relative to
 * the file's folder and come back absolute; a `drift.command` gets the file's folder as its `cwd`,
 * and a `migrate` without `cwd` gets the file's folder, which its `inputs` are relative to. No
 * file is fine: the result is `{ config: {} }`.
 *
 * @throws PgtestbedError CONFIG_LOAD_FAILED when a file exists but cannot be loaded (a syntax
 *   error, a throwing import, an explicit `file` that does not exist), with the file and the
 *   cause; INVALID_OPTIONS when it loads but holds unknown keys or wrong types, naming each.
 * @example
 * const { config, file } = await loadConfig({ cwd: process.cwd() })
 * const testbed = await startTestbed({ ...config, ...pluginOptions, lint: createLintHook(config.lint) })
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const explorer = lilconfig('pgtestbed', {
    searchPlaces: [...CONFIG_FILE_NAMES],
    loaders: Object.fromEntries(
      CONFIG_FILE_NAMES.map((name) => {
        const extension = path.extname(name)
        return [extension, extension === '.json' ? loadJson : loadModule]
      }),
    ),
    stopDir: findWorkspaceRoot(cwd),
    // An empty file is a mistake to report, not a reason to look further up.
    ignoreEmptySearchPlaces: false,
    cache: false,
  })
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null
  if (options.file !== undefined) {
    const file = path.resolve(cwd, options.file)
    if (!existsSync(file)) {
      throw new PgtestbedError('CONFIG_LOAD_FAILED', `the config file ${file} does not exist`, {
        fix: `check the path (it is relative to ${cwd}), or leave it out to search for ${CONFIG_FILE_NAMES[0]} and friends`,
      })
    }
    const extension = path.extname(file)
    if (!CONFIG_FILE_NAMES.some((name) => path.extname(name) === extension)) {
      throw new PgtestbedError(
        'CONFIG_LOAD_FAILED',
        `cannot load the config file ${file}: unsupported file type "${extension}"`,
        {
          fix: 'use a .ts, .mts, .cts, .js, .mjs, .cjs or .json file',
        },
      )
    }
    found = await explorer.load(file).catch(rethrow(file))
  } else {
    found = await explorer.search(cwd).catch(rethrow(undefined))
  }
  if (!found) return { config: {} }
  const file = found.filepath
  const config = validateConfig(found.isEmpty ? undefined : found.config, file)
  return { config: resolvePaths(config, path.dirname(file)), file }
}

/** Wraps anything a loader threw that is not already ours. */
function rethrow(file: string | undefined): (error: unknown) => never {
  return (error) => {
    if (isPgtestbedError(error)) throw error
    throw loadFailed(file ?? 'a pgtestbed config file', error)
  }
}

function loadFailed(file: string, cause: unknown): PgtestbedError {
  // jiti puts the file:line:column of a syntax error on the message's second line.
  const lines = (cause instanceof Error ? cause.message : String(cause))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const reason = lines.slice(0, 2).join(' ')
  return new PgtestbedError('CONFIG_LOAD_FAILED', `could not load ${file}: ${reason}`, {
    cause,
    fix: `fix the error in ${path.basename(file)} (the cause below has the details), or delete the file to use the defaults`,
  })
}

/**
 * TypeScript and JavaScript configs, through jiti (ESM, CommonJS and TS without a build). jiti is
 * imported only when a config file is actually loaded.
 */
const loadModule: Loader = async (filepath) => {
  try {
    const { createJiti } = await import('jiti')
    const jiti = createJiti(import.meta.url, { interopDefault: true, moduleCache: false })
    return await jiti.import(filepath, { default: true })
  } catch (error) {
    throw loadFailed(filepath, error)
  }
}

/** JSON configs, with the line and column of a syntax error. */
const loadJson: Loader = (filepath, content) => {
  try {
    return JSON.parse(content.replace(/^\uFEFF/, '')) as unknown
  } catch (error) {
    const message = (error as Error).message
    const position = /at position (\d+)/.exec(message)?.[1]
    let where = ''
    if (position !== undefined && !/\(line \d+/.test(message)) {
      const before = content.slice(0, Number(position)).split('\n')
      where = ` (line ${before.length}, column ${before.at(-1)!.length + 1})`
    }
    throw loadFailed(filepath, new SyntaxError(`${message}${where}`, { cause: error }))
  }
}

/** Makes the config's relative paths absolute against the config file's folder. */
function resolvePaths(config: PgtestbedConfig, dir: string): PgtestbedConfig {
  const out: PgtestbedConfig = { ...config }
  if (out.migrations !== undefined) out.migrations = path.resolve(dir, out.migrations)
  // A migrate command runs in, and its inputs are relative to, the config file's folder.
  if (out.migrate !== undefined) {
    out.migrate = { ...out.migrate, cwd: path.resolve(dir, out.migrate.cwd ?? '.') }
  }
  if (out.cacheDir !== undefined) out.cacheDir = path.resolve(dir, out.cacheDir)
  if (out.templateCache !== undefined) out.templateCache = path.resolve(dir, out.templateCache)
  if (out.embedded?.memoryDir !== undefined) {
    out.embedded = { ...out.embedded, memoryDir: path.resolve(dir, out.embedded.memoryDir) }
  }
  if (typeof out.manifest === 'string' && out.manifest !== 'auto')
    out.manifest = path.resolve(dir, out.manifest)
  if (out.drift !== undefined) out.drift = resolveDrift(out.drift, dir)
  if (out.seeds !== undefined) {
    const seeds = typeof out.seeds === 'string' ? [out.seeds] : out.seeds
    const resolved = seeds.map((pattern) => resolvePattern(dir, pattern))
    out.seeds = typeof out.seeds === 'string' ? resolved[0]! : resolved
  }
  return out
}

/** A `drift` option with its file, its command's folder and its inputs made absolute. */
function resolveDrift(drift: DriftOptions, dir: string): DriftOptions {
  const out = { ...drift } as DriftOptions & { file?: string; command?: string; cwd?: string }
  if (out.file !== undefined) out.file = path.resolve(dir, out.file)
  // A command in a config file runs in the config file's folder unless it says otherwise.
  if (out.command !== undefined) out.cwd = path.resolve(dir, out.cwd ?? '.')
  if (out.inputs !== undefined) {
    out.inputs =
      typeof out.inputs === 'string'
        ? resolvePattern(dir, out.inputs)
        : out.inputs.map((pattern) => resolvePattern(dir, pattern))
  }
  return out
}

/** An absolute glob with `/` separators (globs need forward slashes, also on Windows). */
function resolvePattern(dir: string, pattern: string): string {
  const negated = pattern.startsWith('!')
  const body = negated ? pattern.slice(1) : pattern
  const absolute = path.resolve(dir, body).split(path.sep).join('/')
  return negated ? `!${absolute}` : absolute
}
