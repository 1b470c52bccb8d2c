// `@pgtestbed/core/worker`: what a test file's process needs, and nothing else. Runners load it
// once per test file (Vitest's isolated workers, Jest's environments), so its module graph is
// kept to `pg`, `picocolors` and a few small modules of core: no discovery, parsers, servers,
// config loader or CLI. The test in test/unit/worker-entry.test.ts keeps it that way.
export { cloneDatabase } from './testbed/clone.js'
export type { TestbedInfo } from './testbed/types.js'
export type { ClonedDatabase, CloneOptions, CloneSource } from './templates/clone.js'
export { attachClone } from './templates/attach.js'
export { formatLeakedConnections } from './templates/drop.js'
export type { DropResult, LeakedConnection } from './templates/drop.js'
export { PgtestbedError, isPgtestbedError } from './errors.js'
export type { ErrorCode, PgtestbedErrorOptions } from './errors.js'
export { displayPath } from './diagnostics.js'
export { createConsoleReporter } from './progress.js'
export type { ConsoleReporterOptions, Reporter } from './progress.js'
export { withTerminationGuard, TERMINATION_GRACE_MS } from './worker/termination-guard.js'
export {
  openTestFile,
  currentTestFile,
  applicationName,
  noTestDatabase,
} from './worker/test-file.js'
export type {
  Closable,
  FilePool,
  OpenTestFileOptions,
  TestFile,
  TestFileContext,
  TestFileScope,
} from './worker/test-file.js'
export { formatError } from './diagnostics.js'
