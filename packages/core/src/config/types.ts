import type { LintOptions } from '../lint/types.js'
import type { MigrationFormat } from '../migrations/types.js'
import type { SweepOptions } from '../templates/sweep.js'
import type { TestbedOptions } from '../testbed-types.js'

/** Options that say where the migrations are and how to read them. */
export interface MigrationsOptions {
  /**
   * The migrations folder, relative to `cwd`.
   * Default: `'./migrations'`.
   */
  migrations?: string
  /**
   * The migration tool whose files and version table to use. `'auto'` detects it from the folder.
   * Default: `'auto'`.
   */
  format?: MigrationFormat | 'auto'
  /**
   * The version table's name. Default: the tool's own (`goose_db_version`, `schema_migrations`,
   * `__drizzle_migrations`). Change it only if you changed it in the tool too.
   */
  table?: string
  /**
   * The version table's schema. Default: the connection's current schema, except drizzle's
   * `drizzle` schema.
   */
  schema?: string
  /**
   * The folder relative paths are resolved against.
   * Default: `process.cwd()`.
   */
  cwd?: string
  /**
   * Environment used for goose `-- +goose ENVSUB ON` substitution.
   * Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>
}

/** Default migrations folder. */
export const DEFAULT_MIGRATIONS_DIR = './migrations'

/** Default manifest file name, looked up inside the migrations folder. */
export const DEFAULT_MANIFEST_FILE = 'pgtestbed.sum'

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
 * every {@link TestbedOptions} that can be written down (not `cwd`, `env`, `reporter`), plus the
 * lint settings and the plugins' per-test-file options. Plugin options and CLI flags win over the
 * file, key by key.
 *
 * Relative paths (`migrations`, `manifest`, `seeds`, `cacheDir`, `embedded.memoryDir`) are
 * relative to the config file's folder; {@link loadConfig} returns them absolute.
 *
 * @example
 * // pgtestbed.config.ts
 * import { defineConfig } from '@pgtestbed/core'
 * export default defineConfig({ migrations: './db/migrations', lint: { rules: { LINT_DROP_TABLE: 'error' } } })
 */
export interface PgtestbedConfig extends Omit<
  TestbedOptions,
  'cwd' | 'env' | 'reporter' | 'lint' | 'sweep'
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
