import type { Reporter } from '../progress.js'
import type { ServerStorage } from './embedded/storage.js'

/** Where a PostgreSQL server comes from. */
export type ServerKind = 'url' | 'embedded' | 'docker'

/** Server choice in options: `'auto'` is the URL when one is given, else `'embedded'`. */
export type ServerChoice = 'auto' | ServerKind

/**
 * A PostgreSQL server pgtestbed may create databases on. Release it when done: for `embedded`
 * the last process to release a shared server stops it; for `docker` the container is stopped.
 */
export interface PostgresServer extends AsyncDisposable {
  readonly kind: ServerKind
  /** URL of the maintenance database, with a role that may CREATE DATABASE. */
  readonly adminUrl: string
  /** The server's major version (`15`, `17`). */
  readonly majorVersion: number
  /**
   * How the server keeps its data, as far as pgtestbed knows (read from the server when it
   * connected): the medium (`'memory'`, `'disk'`, or `'unknown'` for a URL) and `fsync`.
   * `cloneStrategy: 'auto'` is resolved from it.
   */
  readonly storage: ServerStorage
  /** The URL of database `name` on this server (same host, port, role and parameters). */
  urlFor(name: string): string
  /**
   * Lets go of the server (idempotent). An embedded server is stopped when no other live process
   * still uses it, unless `keepRunning` is set; a docker container is stopped.
   */
  release(options?: ReleaseOptions): Promise<void>
}

/** Options for {@link PostgresServer.release}. */
export interface ReleaseOptions {
  /**
   * Leave an embedded server running even if this was its last user, so URLs printed for kept
   * databases keep working after the process exits. The next run attaches to it and, as its last
   * user, stops it; `stopEmbeddedServer()` (the `pgtestbed server stop` command) stops it at once.
   * Ignored by the `url` and `docker` providers. Default: `false`.
   */
  keepRunning?: boolean
}

/** Options common to every server provider. */
export interface ServerOptions {
  /**
   * Which server to use. `'auto'`: `url` when `url` or `PGTESTBED_URL` is set, else `embedded`.
   * `DATABASE_URL` is never read implicitly: it may be a developer's real database.
   * Default: `'auto'`.
   */
  server?: ServerChoice
  /** Server URL for `url`. Default: `process.env.PGTESTBED_URL`. */
  url?: string
  /** Progress for slow steps (starting a server). Default: silent. */
  reporter?: Reporter
}
