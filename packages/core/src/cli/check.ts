import { hasErrors, type Diagnostic } from '../diagnostics.js'
import { lintWithCache } from '../lint/cache.js'
import { loadParser } from '../lint/parser.js'
import { discoverMigrations } from '../migrations/files/discover.js'
import { checkManifest, declaredManifest, manifestPath } from '../migrations/files/manifest.js'
import { resolveMigrator } from '../migrations/migrator/resolve.js'
import { isMigratorSet, type SchemaSet } from '../migrations/migrator/types.js'
import type { CliSettings } from './settings.js'

/**
 * What one step of `check` did. `skipped` says why it did not run; `cached` that lint's findings
 * came from the previous run because nothing changed.
 */
export type StepOutcome = { ran: true; cached?: boolean } | { ran: false; skipped: string }

/** Options of {@link runCheck}. */
export interface RunCheckOptions {
  /** Reuse lint findings while the files, settings and build are unchanged. Default: `true`. */
  cache?: boolean
}

/** Everything `pgtestbed check` found. */
export interface CheckReport {
  /** The migrations read, or the migrate command or function and its inputs. */
  set: SchemaSet
  /** Every diagnostic, in step order (discovery and validation, manifest, lint). */
  diagnostics: Diagnostic[]
  /** The manifest compared with, when one was: an absolute path, or `'config list'`. */
  manifest: string | undefined
  /** `lint` is absent for commands that do not lint (`manifest`, `up`, `down`). */
  steps: { validation: StepOutcome; manifest: StepOutcome; lint?: StepOutcome }
  ms: number
}

/**
 * What the settings point at: the migrate command or function of the config (its inputs
 * resolved), or else the migrations folder, discovered and validated.
 */
export function discoverSettings(settings: CliSettings): Promise<SchemaSet> {
  return settings.migrate === undefined
    ? discoverMigrations(settings.migrations)
    : resolveMigrator(settings.migrate, settings.cwd)
}

/**
 * Runs every check the plugins run before a test starts, without a database: discovery and
 * validation, the manifest (when one is declared or `pgtestbed.sum` exists) and lint.
 *
 * Lint findings are cached per migrations folder in `<cache folder>/lint` (see `lintWithCache`),
 * shared with the test plugins' lint cache, unless `options.cache` is false.
 *
 * The manifest is compared only when validation found no error: a file that does not parse is
 * left out of the set and would be reported a second time as "missing from the folder".
 */
export async function runCheck(
  settings: CliSettings,
  options: RunCheckOptions = {},
): Promise<CheckReport> {
  const started = performance.now()
  const useCache = options.cache ?? true
  // Without a cache the parser is needed for sure: its WASM compiles on V8's background threads
  // while discovery reads the files. A failure is left for lintMigrations, which reports it.
  if (settings.lint !== false && !useCache) loadParser().catch(() => {})
  const set = await discoverSettings(settings)
  const diagnostics = [...set.diagnostics]
  const validationFailed = hasErrors(set.diagnostics)
  const steps: CheckReport['steps'] = {
    validation: { ran: true },
    manifest: { ran: false, skipped: 'no manifest declared' },
    lint: { ran: false, skipped: 'lint is off in the config' },
  }

  let manifest: string | undefined
  const declared = settings.manifest
  if (declared === false) {
    steps.manifest = { ran: false, skipped: 'manifest: false in the config' }
  } else if (set.migrations.length === 0 && validationFailed) {
    steps.manifest = { ran: false, skipped: 'no migrations could be read' }
  } else {
    const target = await declaredManifest(set, declared)
    if (target !== undefined) {
      manifest = typeof target === 'string' ? manifestPath(set, target) : 'config list'
      if (validationFailed) {
        steps.manifest = { ran: false, skipped: 'fix the errors above first' }
      } else {
        diagnostics.push(...(await checkManifest(set, target)))
        steps.manifest = { ran: true }
      }
    }
  }

  if (settings.lint !== false) {
    if (isMigratorSet(set)) {
      steps.lint = {
        ran: false,
        skipped: `the migrate ${set.format}'s tool reads its own migrations`,
      }
    } else if (set.migrations.length === 0) {
      steps.lint = { ran: false, skipped: 'no migrations could be read' }
    } else {
      const cacheDir = useCache ? settings.lintCacheDir : undefined
      const lint = await lintWithCache(set, settings.lint, cacheDir)
      diagnostics.push(...lint.diagnostics)
      steps.lint = lint.cached ? { ran: true, cached: true } : { ran: true }
    }
  }
  return { set, diagnostics, manifest, steps, ms: performance.now() - started }
}
