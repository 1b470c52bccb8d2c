import { createConsoleReporter } from '@pgtestbed/core'
import {
  projectContext,
  resolveRunnerOptions,
  TestbedRegistry,
  workerCount,
  type RegistryEntry,
  type TestFileContext,
} from '@pgtestbed/core/runner'

/**
 * The variable the global setup publishes the run's {@link TestFileContext} in (JSON): `node
 * --test` starts every test file's process after it, with its environment. It holds the admin
 * URL, so each test file removes it from its own environment once read.
 */
export const CONTEXT_VAR = 'PGTESTBED_NODE_TEST_CONTEXT'

/** A testbed opened for `node --test`, and what its test files need. */
export interface OpenedTestbed {
  readonly registry: TestbedRegistry<undefined>
  readonly entry: RegistryEntry<undefined>
  readonly context: TestFileContext
}

/**
 * Opens the testbed of the project in `root` with its `pgtestbed.config.*` options (`node --test`
 * has no config of its own to merge) and describes it for the test files: for the whole run
 * (the global setup; files note their databases in the run folder) or for one test file that
 * runs without it.
 *
 * @throws PgtestbedError INVALID_OPTIONS, CONFIG_LOAD_FAILED, and whatever the testbed's start
 *   throws (VALIDATION_FAILED, SERVER_UNREACHABLE…).
 */
export async function openTestbed(root: string, scope: 'run' | 'file'): Promise<OpenedTestbed> {
  const options = await resolveRunnerOptions({
    root,
    options: {},
    where: 'the @pgtestbed/node-test options',
  })
  const registry = new TestbedRegistry<undefined>()
  const entry = await registry.open(options, {
    reporter: createConsoleReporter(),
    // The run's global setup sizes the default clone pool from `node --test`'s concurrency; a
    // test file that opens its own testbed (no global setup) keeps no pool: it needs one clone.
    overrides: scope === 'file' ? { pool: 0 } : { workers: testConcurrency() },
    data: () => undefined,
  })
  // Opened with `failures: 'throw'` (the default): open() either throws or returns a testbed.
  const testbed = entry.testbed
  if (!testbed) throw new Error('the testbed did not start')
  const context: TestFileContext = {
    ...projectContext(testbed, options, scope === 'run' ? { runDir: registry.runDir } : {}),
    root,
    projectName: '',
  }
  return { registry, entry, context }
}

/**
 * How many test files `node --test` runs at once: `--test-concurrency` when given, else Node's
 * default (the available parallelism less one, at least one).
 */
function testConcurrency(execArgv: readonly string[] = process.execArgv): number {
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] ?? ''
    const value = arg.startsWith('--test-concurrency=')
      ? arg.slice('--test-concurrency='.length)
      : arg === '--test-concurrency'
        ? execArgv[i + 1]
        : undefined
    if (value !== undefined) return workerCount([value])
  }
  return workerCount([])
}
