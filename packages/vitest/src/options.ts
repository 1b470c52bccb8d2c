import type { PgtestbedConfig } from '@pgtestbed/core'

export { DEFAULT_ENV_VAR, DEFAULT_KEEP_ON_FAILURE } from '@pgtestbed/core/runner'

/**
 * Options of the {@link pgtestbed} Vitest plugin. Every option has a default, so
 * `pgtestbed()` works for a project with a `./migrations` folder and no server.
 *
 * The options are the keys of a `pgtestbed.config.*` file (shared with the CLI and the Jest
 * preset), plus `projects` and `configFile`. When both are present, the plugin's options win over
 * the file's, key by key. Relative paths in plugin options are relative to the Vitest project's
 * `root`; relative paths in a config file are relative to that file's folder.
 *
 * Each key and its default is documented on `PgtestbedConfig` of `@pgtestbed/core`.
 *
 * @example
 * // vitest.config.ts
 * import { defineConfig } from 'vitest/config'
 * import { pgtestbed } from '@pgtestbed/vitest'
 * export default defineConfig({ plugins: [pgtestbed({ migrations: './db/migrations' })] })
 */
export interface PgtestbedPluginOptions extends PgtestbedConfig {
  /**
   * Options for single Vitest projects, by project name (`test.name`), applied over the other
   * options. Use it when projects that share one config (and, in Vitest 5, one Vite server) need
   * different migrations. Default: none.
   *
   * @example
   * pgtestbed({ projects: { billing: { migrations: './billing/migrations' } } })
   */
  projects?: Record<string, PgtestbedConfig>
  /**
   * The `pgtestbed.config.*` file to read, relative to the project root, or `false` to read none.
   * Default: the nearest `pgtestbed.config.{ts,mts,cts,js,mjs,cjs,json}` from the project root up
   * to the workspace root; none is fine.
   */
  configFile?: string | false
}
