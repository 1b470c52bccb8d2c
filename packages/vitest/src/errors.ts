import { formatError, isPgtestbedError } from '@pgtestbed/core/worker'

/**
 * One of our errors as Vitest should show it: the code in its name, core's rendering (code, file,
 * line, statement, fix) as its message, and no stack frames, cause or extra properties, which
 * Vitest would print as noise after it. The original error is not lost: its text is all here.
 *
 * Every test file of a project whose testbed failed throws the same text, so the stacks are equal
 * and Vitest (3.2, 4, 5) merges them: the error is printed once, under the list of failed files.
 *
 * @example
 * throw vitestError(error) // Vitest prints "PgtestbedError [VALIDATION_FAILED]: the migrations in …"
 */
export function vitestError(error: unknown, note?: string): Error {
  const code = isPgtestbedError(error) ? error.code : undefined
  const text = isPgtestbedError(error)
    ? formatError(error)
    : String((error as Error)?.message ?? error)
  const message = note ? `${text}\n${note}` : text
  const clean = new Error(message)
  Object.defineProperty(clean, 'name', {
    value: code ? `PgtestbedError [${code}]` : 'PgtestbedError',
    enumerable: false,
  })
  clean.stack = `${clean.name}: ${message}`
  return clean
}
