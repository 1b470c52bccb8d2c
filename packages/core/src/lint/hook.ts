import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Diagnostic } from '../diagnostics.js'
import type { MigrationSet } from '../migrations/types.js'
import { LINT_CACHE_FOLDER, lintWithCache } from './cache.js'
import { loadParser } from './parser.js'
import { checkOverrides, resolveLintRules } from './settings.js'
import type { LintOptions } from './types.js'

/** What one call of a lint hook did, for {@link LintHookOptions.onLint}. */
export interface LintHookResult {
  /** True when the findings came from the lint cache: no file was parsed. */
  cached: boolean
  /** The findings (errors and warnings). */
  diagnostics: readonly Diagnostic[]
}

/** Options of {@link createLintHook}. */
export interface LintHookOptions {
  /**
   * pgtestbed's cache folder (`resolveCacheDir()` gives the default one): findings are kept in
   * `<cacheDir>/lint/`, one file per migrations folder, and reused while every migration file
   * (byte for byte), the lint settings and the pgtestbed build are unchanged, so the SQL parser
   * is not even loaded. Default: no cache (every call lints every file).
   */
  cacheDir?: string
  /** Called after each lint with whether the cache answered. Default: none. */
  onLint?: (result: LintHookResult) => void
}

/**
 * Turns a `lint` setting from a config file or plugin options into the `lint` hook of
 * `startTestbed`: `undefined` or `true` lints with every rule at its default severity, an object
 * sets severities, `false` gives no hook. Rule settings are checked now, so a typo fails before
 * anything starts. With `cacheDir`, findings are cached between runs (see
 * {@link LintHookOptions.cacheDir}).
 *
 * @throws PgtestbedError INVALID_OPTIONS for an unknown rule or setting.
 * @example
 * const lint = createLintHook(config.lint, { cacheDir: resolveCacheDir() })
 * const testbed = await startTestbed({ ...options, ...(lint ? { lint } : {}) })
 */
export function createLintHook(
  setting: boolean | LintOptions = true,
  hookOptions: LintHookOptions = {},
): ((set: MigrationSet) => Promise<Diagnostic[]>) | undefined {
  if (setting === false) return undefined
  const options: LintOptions = setting === true ? {} : setting
  resolveLintRules(options.rules, 'lint.rules')
  checkOverrides(options.overrides, 'lint.overrides')
  const { cacheDir, onLint } = hookOptions
  // Start compiling the parser's WASM now, so it overlaps with starting the server and discovery,
  // unless a cache may answer (then a hit never needs it; a miss loads it when linting). A
  // failure is reported by lintMigrations, which retries the load.
  if (cacheDir === undefined || !existsSync(path.join(cacheDir, LINT_CACHE_FOLDER))) {
    loadParser().catch(() => {})
  }
  return async (set) => {
    const result = await lintWithCache(set, options, cacheDir)
    onLint?.(result)
    return result.diagnostics
  }
}
