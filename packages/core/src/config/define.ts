import type { PgtestbedConfig } from './types.js'

/**
 * Returns `config` unchanged; it only gives a `pgtestbed.config.ts` (or `.js` with `// @ts-check`)
 * type checking and editor completion.
 *
 * @example
 * // pgtestbed.config.ts
 * import { defineConfig } from '@pgtestbed/core'
 * export default defineConfig({
 *   migrations: './db/migrations',
 *   lint: { rules: { LINT_LOCK_TIMEOUT_MISSING: 'off' } },
 * })
 */
export function defineConfig(config: PgtestbedConfig): PgtestbedConfig {
  return config
}
