import type { PgtestbedPluginOptions } from './options.js'

/**
 * State shared between the copies of this package one Vitest process loads: the config file
 * imports the plugin natively, while each project imports the globalSetup through its own module
 * runner. Keyed by Vitest's own objects (projects, the Vitest instance), so it never outlives them.
 */
interface SharedState {
  /** The plugin options each test project was configured with (by `configureVitest`). */
  options: WeakMap<object, PgtestbedPluginOptions>
  /** Per Vitest instance: the run's testbeds (see `node/run.ts`). */
  runs: WeakMap<object, unknown>
}

const KEY = Symbol.for('pgtestbed.vitest.shared.v1')

/** The process-wide state of `@pgtestbed/vitest`. */
export function sharedState(): SharedState {
  const holder = globalThis as Record<symbol, SharedState | undefined>
  return (holder[KEY] ??= { options: new WeakMap(), runs: new WeakMap() })
}
