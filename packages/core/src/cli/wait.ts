/**
 * `up --wait <duration>`: connect to a database that may still be starting (a compose service
 * without a healthcheck, a Kubernetes Job racing its database), retrying with bounded backoff.
 */
import { isPgtestbedError, PgtestbedError } from '../errors.js'
import { describeAddress, serverAddress } from '../internal/pg-connect.js'
import { sleep } from '../internal/process-info.js'
import type { Output } from './output.js'
import { connectTarget, type Target } from './target.js'

/** The first pause between two tries; it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 250
const MAX_PAUSE_MS = 5000

/**
 * PostgreSQL errors that mean "not ready yet" rather than "wrong": the server is starting up or
 * shutting down (57P03), or too busy (53300). Anything else from PostgreSQL itself (a wrong
 * password, a database that does not exist) fails at once: waiting would not fix it.
 */
const NOT_READY_SQLSTATES = new Set(['57P03', '53300'])

/**
 * Connects like {@link connectTarget}, retrying while the server is unreachable or starting,
 * for at most `waitMs`. Prints one line when it starts waiting.
 *
 * @throws PgtestbedError `SERVER_UNREACHABLE` naming `user@host:port` and the last connection
 * error (never the password) once `waitMs` is spent, or at once for an error waiting cannot fix.
 */
export async function waitForTarget(url: string, waitMs: number, output: Output): Promise<Target> {
  const address = describeAddress(serverAddress(url))
  const started = Date.now()
  let pause = FIRST_PAUSE_MS
  let tries = 0
  for (;;) {
    tries += 1
    try {
      return await connectTarget(url)
    } catch (error) {
      if (!isPgtestbedError(error) || error.code !== 'SERVER_UNREACHABLE' || !retryable(error)) {
        throw error
      }
      const left = started + waitMs - Date.now()
      if (left <= 0) {
        throw new PgtestbedError(
          'SERVER_UNREACHABLE',
          `PostgreSQL at ${address} did not accept connections within ${formatSeconds(waitMs)} (${tries} ${tries === 1 ? 'try' : 'tries'}); last error: ${lastReason(error)}`,
          {
            cause: error.cause,
            fix: 'check that the database service starts and that the URL names it (host, port); or wait longer: --wait 2m',
          },
        )
      }
      if (tries === 1) {
        output.note(
          `pgtestbed: waiting up to ${formatSeconds(waitMs)} for PostgreSQL at ${address} (${lastReason(error)})`,
        )
      }
      await sleep(Math.min(pause, left))
      pause = Math.min(pause * 2, MAX_PAUSE_MS)
    }
  }
}

function retryable(error: PgtestbedError): boolean {
  const cause = error.cause as { code?: unknown; severity?: unknown } | undefined
  // The server answered (pg's DatabaseError has a severity): only "not ready" is worth a retry.
  // Network errors (ECONNREFUSED, ENOTFOUND while a compose service's name is not registered
  // yet, ETIMEDOUT) and pg's own connection timeout are.
  if (cause?.severity !== undefined) return NOT_READY_SQLSTATES.has(String(cause.code))
  return true
}

/** The reason part of a SERVER_UNREACHABLE message (it never holds the password). */
function lastReason(error: PgtestbedError): string {
  return error.message.replace(
    /^cannot connect to PostgreSQL at \S+(?: \(database "[^"]*"\))?: /,
    '',
  )
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}
