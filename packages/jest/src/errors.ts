import { formatError, isPgtestbedError, type PgtestbedError } from '@pgtestbed/core/worker'

/** The text Jest shows for one of our errors: `pgtestbed CODE:` and core's rendering. */
export function describeError(error: PgtestbedError): string {
  return `pgtestbed ${error.code}: ${formatError(error)}`
}

/**
 * Prepares an error thrown by globalSetup or globalTeardown for Jest. A single run prints
 * `error.stack`, so the stack becomes {@link describeError}'s text; watch mode shows it like a test
 * file's error (see {@link forEnvironment}). The error keeps its class, `code` and `diagnostics`.
 * Set `PGTESTBED_DEBUG=1` to keep the stack frames. Errors that are not ours (bugs) keep their
 * stack.
 */
export function forGlobalSetup(error: unknown, watch = false): unknown {
  if (!isPgtestbedError(error) || process.env.PGTESTBED_DEBUG) return error
  if (watch) return forEnvironment(error)
  define(error, 'stack', describeError(error))
  return error
}

/**
 * Prepares an error thrown by the test environment for Jest, which shows it as "Test suite failed
 * to run" through `formatExecError`: that prints the message, then whatever follows the first
 * line of the stack, then the cause. So the message becomes {@link describeError}'s text and the
 * stack and cause (already summarised in it) are left out.
 */
export function forEnvironment(error: unknown): unknown {
  if (!isPgtestbedError(error) || process.env.PGTESTBED_DEBUG) return error
  define(error, 'message', describeError(error))
  define(error, 'stack', '')
  delete (error as { cause?: unknown }).cause
  return error
}

function define(error: Error, key: 'message' | 'stack', value: string): void {
  Object.defineProperty(error, key, { value, configurable: true, writable: true })
}
