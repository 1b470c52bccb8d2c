import { PgtestbedError } from '../errors.js'
import { errorChain } from './error-chain.js'
import { describeAddress, serverAddress } from './pg-connect.js'

/**
 * Telling "the server went away" apart from "a statement failed". A migration that was running
 * when the server was killed, exited or was shut down by an administrator is not at fault, and
 * the error must say so instead of blaming (and asking to fix) the migration.
 * @module
 */

/** SQLSTATEs of a server that ends sessions: admin_shutdown, crash_shutdown, cannot_connect_now. */
const LOST_STATES = new Set(['57P01', '57P02', '57P03'])
/** Socket errors of a server that is gone or going. */
const LOST_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED'])
const LOST_MESSAGES =
  /Connection terminated unexpectedly|Connection terminated|server closed the connection unexpectedly|terminating connection due to (administrator command|crash of another server process|unexpected postmaster exit)/i

/** How the server was lost, or `undefined` when `error` (or a cause of it) is not a lost server. */
function serverLossOf(error: unknown): string | undefined {
  const chain = errorChain(error)
  // Codes first: a wrapping error (APPLY_FAILED) quotes its cause's message.
  for (const e of chain) {
    const code = (e as { code?: unknown }).code
    if (code === '57P01') return 'an administrator or the server shut the session down (57P01)'
    if (code === '57P02') return 'the server crashed (57P02)'
    if (typeof code === 'string' && LOST_STATES.has(code)) {
      return `the server refused connections (${code})`
    }
    if (typeof code === 'string' && LOST_ERRNOS.has(code))
      return `the connection was lost (${code})`
  }
  for (const e of chain) {
    const match = LOST_MESSAGES.exec(e.message)
    if (match) return `the connection was lost (${match[0]})`
  }
  return undefined
}

/** Where to look, in the error's fix. */
export interface ServerLostContext {
  /** Maintenance URL of the server (named without its password). */
  adminUrl: string
  /** What pgtestbed was doing (`applying 00092_add_index.sql`). */
  doing: string
  /** The embedded server's log file, when pgtestbed started that server. */
  serverLog?: string | undefined
}

/**
 * `SERVER_LOST` for an error that is a lost server, else `undefined`.
 *
 * @example
 * throw serverLostError(error, { adminUrl, doing: 'building template pgtestbed_tpl_…' }) ?? error
 */
export function serverLostError(
  error: unknown,
  context: ServerLostContext,
): PgtestbedError | undefined {
  const how = serverLossOf(error)
  if (how === undefined) return undefined
  const where = describeAddress(serverAddress(context.adminUrl))
  const fix = context.serverLog
    ? `The embedded PostgreSQL server stopped: read its log ${context.serverLog} and run \`pgtestbed server status\`; the next run starts it again. Nothing is wrong with your migrations.`
    : `Check that the PostgreSQL server at ${where} is running and look at its log (killed, out of memory, restarted?); nothing is wrong with your migrations.`
  return new PgtestbedError(
    'SERVER_LOST',
    `lost the PostgreSQL server at ${where} while ${context.doing}: ${how}`,
    { cause: error, fix },
  )
}
