import type { Plugin } from 'vitest/config'
import type { PgtestbedPluginOptions } from './options.js'
import { coreDistPattern, GLOBAL_SETUP_FILE, SETUP_FILE } from './paths.js'
import { sharedState } from './shared.js'

/** The plugin's name, as Vite and Vitest show it. */
export const PLUGIN_NAME = 'pgtestbed'

function asList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return []
  return typeof value === 'string' ? [value] : [...value]
}

/**
 * The Vitest plugin: every test file gets `process.env.DATABASE_URL` pointing at its own fresh
 * database, cloned from a template built from the project's migration files.
 *
 * It adds a globalSetup (resolve the server, check the migrations, build or reuse the template)
 * and a setup file that runs first in every test file (clone the template, set the variable, drop
 * the clone after the file, or keep it when a test failed). The options are checked when the run
 * starts; see {@link PgtestbedPluginOptions} for each one and its default.
 *
 * It works per Vitest project (through `configureVitest`), so projects sharing one config, and
 * Vitest 5 projects sharing one Vite server, each get the database of their own options.
 *
 * @example
 * // vitest.config.ts
 * import { defineConfig } from 'vitest/config'
 * import { pgtestbed } from '@pgtestbed/vitest'
 *
 * export default defineConfig({ plugins: [pgtestbed({ migrations: './migrations' })] })
 */
export function pgtestbed(options: PgtestbedPluginOptions = {}): Plugin {
  return {
    name: PLUGIN_NAME,
    config() {
      // Node, not Vitest's module runner, loads core: a test file's setup then costs one native
      // import of the small `@pgtestbed/core/worker` instead of transforming core (see paths.ts).
      const core = coreDistPattern()
      return core ? { test: { server: { deps: { external: [core] } } } } : {}
    },
    configureVitest({ project }) {
      sharedState().options.set(project, options)
      const config = project.config
      // Absolute paths: Vitest resolved its own entries before this hook runs. New arrays, since
      // projects may share the arrays they inherited.
      config.globalSetup = [
        ...asList(config.globalSetup).filter((file) => file !== GLOBAL_SETUP_FILE),
        GLOBAL_SETUP_FILE,
      ]
      // First, so that the user's own setup files already see the database URL.
      config.setupFiles = [
        SETUP_FILE,
        ...asList(config.setupFiles).filter((file) => file !== SETUP_FILE),
      ]
    },
  }
}
