import { isPgtestbedError } from '@pgtestbed/core'

/** How deep `caused by` lines follow an error's causes. */
const MAX_CAUSES = 3

function describeCause(cause: unknown): string {
  if (isPgtestbedError(cause)) return `${cause.code} ${cause.message}`
  if (cause instanceof Error) return cause.message || cause.name
  return String(cause)
}

/**
 * The text of an error for people: `CODE message`, the fix, and what caused it. Messages of
 * diagnostics errors already list every problem with its file, line and fix.
 */
export function describeError(error: unknown): string {
  if (!isPgtestbedError(error)) {
    return error instanceof Error ? error.message || error.name : String(error)
  }
  const lines = [error.message]
  if (error.fix) lines.push(`    fix: ${error.fix}`)
  let cause = error.cause
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    // A cause that only repeats the message (a wrapped driver error) adds nothing.
    const text = describeCause(cause)
    if (!error.message.includes(text)) lines.push(`  caused by: ${text}`)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return lines.join('\n')
}

/**
 * The error the globalSetup throws so that Vitest fails the run before any test: the code in its
 * name, the readable text as its message, and no stack frames, cause or extra properties, which
 * Vitest would print as noise after it. The original error is not lost: its text is all here.
 *
 * @example
 * throw runError(error) // Vitest prints "PgtestbedError [VALIDATION_FAILED]: the migrations in …"
 */
export function runError(error: unknown): Error {
  const code = isPgtestbedError(error) ? error.code : undefined
  const message = `${describeError(error)}\n(no test ran: pgtestbed checks the migrations and prepares the database before any test starts)`
  const clean = new Error(message)
  Object.defineProperty(clean, 'name', {
    value: code ? `PgtestbedError [${code}]` : 'PgtestbedError',
    enumerable: false,
  })
  clean.stack = `${clean.name}: ${message}`
  return clean
}
