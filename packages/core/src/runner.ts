// `@pgtestbed/core/runner`: what a test-runner adapter's main process needs, written once for
// Vitest, Jest and `node --test`: option resolution, the registry of a run's testbeds (with the
// run folder, its notes and the end-of-run list of kept databases), and the one renderer of
// errors. The per-file side is `./worker`.
export { resolveRunnerOptions, DEFAULT_ENV_VAR, DEFAULT_KEEP_ON_FAILURE } from './runner/options.js'
export type { RunnerOptions, RunnerOptionsInput } from './runner/options.js'
export type { TestFileContext, TestFileScope } from './worker/test-file.js'
export { formatError } from './diagnostics.js'
export type { FormatErrorColors } from './diagnostics.js'
export { TestbedRegistry, testbedFailure } from './runner/registry.js'
export { projectContext, schemaInputs, workerCount } from './runner/context.js'
export type { OpenTestbedOptions, RegistryEntry, TestbedFailure } from './runner/registry.js'
