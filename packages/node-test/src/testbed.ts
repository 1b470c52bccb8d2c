import { createConsoleReporter } from '@pgtestbed/core'
import {
  resolveRunnerOptions,
  TestbedRegistry,
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
 * has no config of its own to merge) and describes it for the test files.
 *
 * @throws PgtestbedError INVALID_OPTIONS, CONFIG_LOAD_FAILED, and whatever the testbed's start
 *   throws (VALIDATION_FAILED, SERVER_UNREACHABLE…).
 */
export async function openTestbed(root: string, runDir?: string): Promise<OpenedTestbed> {
  const options = await resolveRunnerOptions({
    root,
    options: {},
    where: 'the @pgtestbed/node-test options',
  })
  const registry = new TestbedRegistry<undefined>()
  const entry = await registry.open(options, {
    reporter: createConsoleReporter(),
    data: () => undefined,
  })
  // Opened with `failures: 'throw'` (the default): open() either throws or returns a testbed.
  const testbed = entry.testbed
  if (!testbed) throw new Error('the testbed did not start')
  const context: TestFileContext = {
    ...testbed.info,
    root,
    projectName: '',
    envVar: options.envVar,
    keepOnFailure: options.keepOnFailure,
    keptTtlMs: options.keptTtlMs,
    ...(runDir ? { runDir } : {}),
  }
  return { registry, entry, context }
}
