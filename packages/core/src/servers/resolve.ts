import { PgtestbedError } from '../errors.js'
import { startDockerServer, type DockerOptions } from './docker.js'
import { startEmbeddedServer, type EmbeddedOptions } from './embedded/server.js'
import type { CacheDirOptions } from './embedded/paths.js'
import type { PostgresServer, ServerChoice, ServerOptions } from './types.js'
import { connectUrlServer } from './url.js'

/** Options of {@link resolveServer}. */
export interface ResolveServerOptions extends ServerOptions, CacheDirOptions {
  /** Options of the embedded server (used when it is chosen). Default: `{}`. */
  embedded?: EmbeddedOptions
  /** Options of the docker server (used with `server: 'docker'`). Default: `{}`. */
  docker?: DockerOptions
  /**
   * The template cache folder, absolute: an embedded server whose data folder is created afresh
   * starts from the cluster snapshot saved there. Default: none.
   */
  templateCache?: string
}

const CHOICES: readonly ServerChoice[] = ['auto', 'url', 'embedded', 'docker']

/**
 * Finds the PostgreSQL server to create test databases on:
 * - `url` (chosen by `server: 'auto'` when the `url` option or `PGTESTBED_URL` is set): that
 *   server, checked up front (reachable, role may CREATE DATABASE). `DATABASE_URL` is never read:
 *   it may be a developer's real database.
 * - `embedded` (the default): pgtestbed's own server, shared by every process on the machine
 *   that uses the same cache folder; see {@link startEmbeddedServer}.
 * - `docker` (only when asked): a container through `@testcontainers/postgresql`.
 *
 * Release the handle when done (or `await using`).
 *
 * @throws PgtestbedError `INVALID_OPTIONS`, `SERVER_UNREACHABLE`, `SERVER_PERMISSION_DENIED`,
 * `EMBEDDED_START_FAILED` or `DOCKER_UNAVAILABLE`.
 * @example
 * await using server = await resolveServer({ reporter: createConsoleReporter() })
 * const url = server.urlFor('my_test_db')
 */
export async function resolveServer(options: ResolveServerOptions = {}): Promise<PostgresServer> {
  const choice = options.server ?? 'auto'
  if (!CHOICES.includes(choice)) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `server must be one of ${CHOICES.map((c) => `'${c}'`).join(', ')}, not ${JSON.stringify(choice)}`,
      { fix: "Use server: 'auto' (the default), 'url', 'embedded' or 'docker'." },
    )
  }
  const url = options.url ?? (process.env.PGTESTBED_URL || undefined)
  if (choice === 'url' || (choice === 'auto' && url !== undefined)) {
    if (url === undefined) {
      throw new PgtestbedError('INVALID_OPTIONS', "server: 'url' was chosen but no URL was given", {
        fix: "Set the url option or PGTESTBED_URL (postgres://user:password@host:port/postgres), or use server: 'auto'.",
      })
    }
    return connectUrlServer(url)
  }
  if (choice === 'docker') {
    return startDockerServer({
      ...options.docker,
      ...(options.reporter ? { reporter: options.reporter } : {}),
    })
  }
  return startEmbeddedServer({
    ...options.embedded,
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.templateCache !== undefined ? { templateCache: options.templateCache } : {}),
    ...(options.reporter ? { reporter: options.reporter } : {}),
  })
}
