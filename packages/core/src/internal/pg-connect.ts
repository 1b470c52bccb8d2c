import pg from 'pg'
import { PgtestbedError } from '../errors.js'

/** Where a connection string points, safe to print: never the password. */
export interface ServerAddress {
  host: string
  port: number
  user: string | undefined
  database: string | undefined
}

/**
 * Reads host, port, user and database from a `postgres://` URL the way libpq does (a `host=`
 * query parameter wins, defaults `localhost:5432`). Never returns the password.
 *
 * @example
 * describeAddress(serverAddress('postgres://app:secret@db:6543/app')) // "app@db:6543"
 */
export function serverAddress(url: string): ServerAddress {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new PgtestbedError('INVALID_OPTIONS', 'the server URL is not a valid postgres:// URL', {
      cause,
      fix: 'Use the form postgres://user:password@host:port/database.',
    })
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `the server URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`,
      { fix: 'Use the form postgres://user:password@host:port/database.' },
    )
  }
  const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname)
  const port = Number(parsed.searchParams.get('port') ?? (parsed.port || 5432))
  const path = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  return {
    host: host === '' ? 'localhost' : host.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    database: path === '' ? undefined : path,
  }
}

/** `user@host:port`, for messages. */
export function describeAddress(address: ServerAddress): string {
  return `${address.user ? `${address.user}@` : ''}${address.host}:${address.port}`
}

/** What stands in for a password in a printed URL. */
const REDACTED_PASSWORD = '****'

/**
 * `url` safe to print: the password (in the user-info part or a `password=` query parameter) is
 * replaced by `****`; everything else (user, host, port, database, other parameters) is kept, so a
 * reader can still tell which database it is. A text that is not a URL comes back unchanged.
 *
 * @example
 * redactUrl('postgres://app:secret@db:5432/app?sslmode=require') // 'postgres://app:****@db:5432/app?sslmode=require'
 * redactUrl('postgres://app@db/app')                             // 'postgres://app@db/app'
 */
export function redactUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url
  }
  let changed = false
  if (parsed.password !== '') {
    parsed.password = REDACTED_PASSWORD
    changed = true
  }
  if (parsed.searchParams.has('password')) {
    parsed.searchParams.set('password', REDACTED_PASSWORD)
    changed = true
  }
  return changed ? parsed.toString() : url
}

/**
 * The URL of database `name` on the server `url` points at: host, port, user, password and query
 * parameters are kept, only the path changes.
 *
 * @example
 * withDatabase('postgres://u:p@h:5/postgres?sslmode=require', 't1') // 'postgres://u:p@h:5/t1?sslmode=require'
 */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(name)}`
  return parsed.toString()
}

/** Options for {@link connectPg}. */
export interface ConnectPgOptions {
  /** Give up connecting after this long (ms). Default: `5000`. */
  timeoutMs?: number
  /** What to tell the user when the server cannot be reached. Default: the `url` provider's fix. */
  fix?: string
}

/** The fix for an unreachable `url` server. */
const URL_SERVER_FIX =
  'Start that PostgreSQL server, set PGTESTBED_URL to a server you can reach, or unset PGTESTBED_URL (and the url option) to let pgtestbed start its embedded server.'

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset by the server',
  ENOENT: 'no such socket',
}

/**
 * Why a connection attempt failed, in words, or undefined when `error` is not a connection
 * problem (a failing query, a bug).
 */
function connectionFailureReason(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown } | undefined
  const code = typeof e?.code === 'string' ? e.code : undefined
  const message = typeof e?.message === 'string' ? e.message : String(error)
  if (code !== undefined && NETWORK_CODES[code]) return NETWORK_CODES[code]
  if (code === '28P01' || code === '28000') return `authentication failed: ${message}`
  if (code === '3D000') return message
  if (code === '57P03') return 'the server is starting up or shutting down'
  if (code === '53300') return 'too many connections'
  if (/timeout/i.test(message) || /Connection terminated/i.test(message)) return message
  return undefined
}

/**
 * Connects a `pg.Client` to `url`. A connection problem (refused, unknown host, timeout, wrong
 * password, missing database) becomes a `SERVER_UNREACHABLE` error naming `user@host:port`
 * (never the password) with a fix.
 *
 * @example
 * const client = await connectPg('postgres://postgres@127.0.0.1:5432/postgres')
 * try { await client.query('SELECT 1') } finally { await client.end() }
 */
export async function connectPg(url: string, options: ConnectPgOptions = {}): Promise<pg.Client> {
  const address = serverAddress(url)
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: options.timeoutMs ?? 5000,
  })
  // pg emits 'error' for a connection lost later; without a listener that would crash the process.
  client.on('error', () => {})
  try {
    await client.connect()
    return client
  } catch (cause) {
    // Not awaited: ending a connection the server never answered can wait forever.
    client.end().catch(() => {})
    const reason = connectionFailureReason(cause) ?? String((cause as Error)?.message ?? cause)
    const auth = /authentication failed/.test(reason)
    throw new PgtestbedError(
      'SERVER_UNREACHABLE',
      `cannot connect to PostgreSQL at ${describeAddress(address)}${address.database ? ` (database "${address.database}")` : ''}: ${reason}`,
      {
        cause,
        fix: auth
          ? 'Check the user name and password in PGTESTBED_URL (or the url option).'
          : (options.fix ?? URL_SERVER_FIX),
      },
    )
  }
}
