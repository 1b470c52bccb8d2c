import { isPgtestbedError } from '@pgtestbed/core'
import { formatError } from '@pgtestbed/core/runner'

/**
 * The error the globalSetup throws so that Vitest fails the run before any test: the code in its
 * name, core's rendering as its message, and no stack frames, cause or extra properties, which
 * Vitest would print as noise after it. The original error is not lost: its text is all here.
 *
 * @example
 * throw runError(error) // Vitest prints "PgtestbedError [VALIDATION_FAILED]: the migrations in …"
 */
export function runError(error: unknown): Error {
  const code = isPgtestbedError(error) ? error.code : undefined
  const text = isPgtestbedError(error)
    ? formatError(error)
    : String((error as Error)?.message ?? error)
  const message = `${text}\n(no test ran: pgtestbed checks the migrations and prepares the database before any test starts)`
  const clean = new Error(message)
  Object.defineProperty(clean, 'name', {
    value: code ? `PgtestbedError [${code}]` : 'PgtestbedError',
    enumerable: false,
  })
  clean.stack = `${clean.name}: ${message}`
  return clean
}
