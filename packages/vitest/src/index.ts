export { pgtestbed, PLUGIN_NAME } from './plugin.js'
export { DEFAULT_ENV_VAR, DEFAULT_KEEP_ON_FAILURE } from './options.js'
export type { PgtestbedPluginOptions } from './options.js'
export type { PgtestbedContext } from './provided.js'
// The shape of a pgtestbed.config.* file, for `satisfies PgtestbedConfig` without installing core.
export type { PgtestbedConfig } from '@pgtestbed/core'
