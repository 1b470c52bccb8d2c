import type { LintOptions } from '../lint/types.js'
import type { SweepOptions } from '../templates/sweep.js'
import type { TestbedOptions } from '../testbed/types.js'

export {
  DEFAULT_MANIFEST_FILE,
  DEFAULT_MIGRATIONS_DIR,
  type MigrationsOptions,
} from '../migrations/types.js'

/**
 * Lint in a config file or plugin options: `true` runs every rule at its default severity, an
 * object sets severities per rule, `false` turns lint off.
 *
 * @example
 * const lint: LintSetting = { rules: { LINT_LOCK_TIMEOUT_MISSING: 'off' } }
 */
export type LintSetting = boolean | LintOptions

/** The part of the start-up sweep a config file may tune (the rest is decided per run). */
export type SweepConfig = Pick<
  SweepOptions,
  'ttlMs' | 'keptTtlMs' | 'keepTemplates' | 'templateMinAgeMs' | 'limit'
>

/**
 * What a `pgtestbed.config.*` file holds, shared by the CLI and the Vitest and Jest plugins:
 * every {@link TestbedOptions} that can be written down (not `cwd`, `env`, `reporter`, nor
 * `workers`, which the plugins read from their runner), plus the
 * lint settings and the plugins' per-test-file options. Plugin options and CLI flags win over the
 * file, key by key.
 *
 * Relative paths (`migrations`, `manifest`, `seeds`, `cacheDir`, `templateCache`, `embedded.memoryDir`,
 * `drift.file`, `drift.inputs`) are relative to the config file's folder, and a `drift.command`
 * runs there; {@link loadConfig} returns them absolute.
 *
 * @example
 * // pgtestbed.config.ts
 * import { defineConfig } from '@pgtestbed/core'
 * export default defineConfig({ migrations: './db/migrations', lint: { rules: { LINT_DROP_TABLE: 'error' } } })
 */
export interface PgtestbedConfig extends Omit<
  TestbedOptions,
  'cwd' | 'env' | 'reporter' | 'lint' | 'sweep' | 'workers'
> {
  /**
   * Lint the migrations before any test runs; error findings stop the run (`LINT_FAILED`).
   * Default: `true` (every rule at its default severity).
   */
  lint?: LintSetting
  /**
   * The start-up sweep of leftovers from crashed runs, or `false` to skip it.
   * Default: `{ limit: 20 }`.
   */
  sweep?: SweepConfig | false
  /**
   * The environment variable each test file finds its database URL in (plugins only).
   * Default: `'DATABASE_URL'`.
   */
  envVar?: string
  /**
   * Keep the database of a test file that failed and print its URL, instead of dropping it
   * (plugins only). Default: `true`.
   */
  keepOnFailure?: boolean
}
