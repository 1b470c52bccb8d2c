import { formatError } from '../diagnostics.js'
import { isPgtestbedError } from '../errors.js'
import type { Output } from './output.js'

/** Exit code: everything checked out, or the command did what it was asked. */
export const EXIT_OK = 0
/** Exit code: problems in the migrations, or a migration or server step failed. */
export const EXIT_FAILED = 1
/** Exit code: the command line or the config file is wrong (nothing was checked or changed). */
export const EXIT_USAGE = 2
/** Exit code of `status --check`: the database works, but some migrations are not applied yet. */
export const EXIT_PENDING = 3

/** Errors that mean "the command line or config is wrong", not "the migrations are". */
const USAGE_CODES = new Set(['INVALID_OPTIONS', 'CONFIG_LOAD_FAILED'])

/** The exit code for an error a command threw. */
export function exitCodeFor(error: unknown): number {
  return isPgtestbedError(error) && USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILED
}

/**
 * Prints an error on stderr: `pgtestbed: CODE message` and its fix. Errors that are not
 * pgtestbed's (a bug) keep their stack, so they can be reported.
 */
export function printError(output: Output, error: unknown): void {
  const c = output.errColors
  if (!isPgtestbedError(error)) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
    output.note(`${c.red('pgtestbed: unexpected error')} ${text}`)
    return
  }
  output.note(`${c.red(`pgtestbed: ${error.code}`)} ${formatError(error, c)}`)
}
