import { PgtestbedError } from '../errors.js'
import { connectPg, describeAddress, serverAddress, withDatabase } from '../internal/pg-connect.js'
import type { PostgresServer } from './types.js'

/** A handle on a server given by URL. */
export interface UrlPostgresServer extends PostgresServer {
  readonly kind: 'url'
}

interface RoleCheck {
  num: string
  fsync: string
  rolsuper: boolean
  rolcreatedb: boolean
  role: string
}

/**
 * Connects to the server at `url` once, up front, so a wrong URL fails before any test starts:
 * it must be reachable and its role must be allowed to create databases (superuser or CREATEDB).
 * Releasing the handle does nothing to the server.
 *
 * @throws PgtestbedError `SERVER_UNREACHABLE` (names `user@host:port`, never the password) or
 * `SERVER_PERMISSION_DENIED`.
 * @example
 * const server = await connectUrlServer('postgres://postgres@127.0.0.1:5432/postgres')
 * server.urlFor('t1') // 'postgres://postgres@127.0.0.1:5432/t1'
 */
export async function connectUrlServer(url: string): Promise<UrlPostgresServer> {
  const address = serverAddress(url)
  const client = await connectPg(url)
  let row: RoleCheck | undefined
  try {
    const result = await client.query<RoleCheck>(
      `SELECT current_setting('server_version_num') AS num, current_setting('fsync') AS fsync, r.rolsuper, r.rolcreatedb, r.rolname AS role
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
    row = result.rows[0]
  } finally {
    await client.end().catch(() => {})
  }
  if (!row || (!row.rolsuper && !row.rolcreatedb)) {
    const role = row?.role ?? address.user ?? 'current user'
    throw new PgtestbedError(
      'SERVER_PERMISSION_DENIED',
      `the role "${role}" on ${describeAddress(address)} may not create databases, and pgtestbed creates one per test file`,
      {
        fix: `Grant it: ALTER ROLE "${role}" CREATEDB; or put a role that has CREATEDB (or is a superuser) in PGTESTBED_URL.`,
      },
    )
  }
  const majorVersion = Math.floor(Number(row.num) / 10_000)
  return {
    kind: 'url',
    adminUrl: url,
    majorVersion,
    storage: { medium: 'unknown', fsync: row.fsync !== 'off' },
    urlFor: (name) => withDatabase(url, name),
    release: async () => {},
    [Symbol.asyncDispose]: async () => {},
  }
}
