import { randomBytes } from 'node:crypto'
import { PgtestbedError } from '../errors.js'
import { connectPg, withDatabase } from '../internal/pg-connect.js'
import { silentReporter, type Reporter } from '../progress.js'
import { DEFAULT_MAX_CONNECTIONS, settingsToArgs, TEST_TUNED_SETTINGS } from './settings.js'
import type { PostgresSettingValue } from './settings.js'
import type { PostgresServer } from './types.js'

/** The image the docker provider runs unless told otherwise. */
export const DEFAULT_DOCKER_IMAGE = 'postgres:17-alpine'

/** The optional peer dependency the docker provider needs. */
const TESTCONTAINERS_PACKAGE = '@testcontainers/postgresql'

/** Options of the docker server. */
export interface DockerOptions {
  /**
   * The PostgreSQL image (the official image or one that honours the same `POSTGRES_*` variables).
   * Default: `PGTESTBED_DOCKER_IMAGE`, else {@link DEFAULT_DOCKER_IMAGE} (`postgres:17-alpine`).
   */
  image?: string
  /** `max_connections`. Default: {@link DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number
  /** Extra PostgreSQL settings, applied over {@link TEST_TUNED_SETTINGS}. Default: `{}`. */
  settings?: Record<string, PostgresSettingValue>
  /** How long to wait for the container to be ready (pulling the image included). Default: `120000` ms. */
  startTimeoutMs?: number
}

/** Options of {@link startDockerServer}. */
export interface DockerServerOptions extends DockerOptions {
  /** Progress of the container start. Default: silent. */
  reporter?: Reporter
}

/** A handle on a PostgreSQL container; releasing it stops and removes the container. */
export interface DockerPostgresServer extends PostgresServer {
  readonly kind: 'docker'
  /** The image the container runs. */
  readonly image: string
  /** The container's id. */
  readonly containerId: string
}

type TestcontainersModule = typeof import('@testcontainers/postgresql')

const INSTALL_FIX = `Install it next to pgtestbed: pnpm add -D ${TESTCONTAINERS_PACKAGE} (or npm install -D ${TESTCONTAINERS_PACKAGE}), or drop server: 'docker' to use the embedded server.`

/**
 * Imports `@testcontainers/postgresql` (an optional peer dependency) only when the docker provider
 * is chosen. `specifier` exists for tests.
 *
 * @throws PgtestbedError `DOCKER_UNAVAILABLE` with the install command when it is not installed.
 */
export async function loadTestcontainers(
  specifier: string = TESTCONTAINERS_PACKAGE,
): Promise<TestcontainersModule> {
  try {
    const loaded = (await import(specifier)) as TestcontainersModule & {
      default?: TestcontainersModule
    }
    return loaded.PostgreSqlContainer ? loaded : (loaded.default ?? loaded)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new PgtestbedError(
        'DOCKER_UNAVAILABLE',
        `server: 'docker' needs the package ${specifier}, which is not installed`,
        { cause, fix: INSTALL_FIX },
      )
    }
    throw cause
  }
}

/**
 * Turns an error from starting a container into a `DOCKER_UNAVAILABLE` error that says what to do.
 */
export function dockerStartError(cause: unknown, image: string): PgtestbedError {
  const message = String((cause as Error)?.message ?? cause)
  if (/Could not find a working container runtime strategy/i.test(message)) {
    return new PgtestbedError(
      'DOCKER_UNAVAILABLE',
      'server: "docker" was chosen, but no container runtime answers (Docker is not running, not installed, or DOCKER_HOST points nowhere)',
      {
        cause,
        fix: "Start Docker (or set DOCKER_HOST to a running engine), or drop server: 'docker' to use the embedded server.",
      },
    )
  }
  if (
    /does not exist locally|pull access denied|manifest unknown|not found|no such host|\/v2\//i.test(
      message,
    )
  ) {
    return new PgtestbedError('DOCKER_UNAVAILABLE', `cannot get the image "${image}": ${message}`, {
      cause,
      fix: 'Check the image name (docker.image or PGTESTBED_DOCKER_IMAGE) and that it can be pulled.',
    })
  }
  return new PgtestbedError(
    'DOCKER_UNAVAILABLE',
    `could not start a PostgreSQL container from "${image}": ${message}`,
    { cause, fix: 'Run with DEBUG=testcontainers* to see what Docker said.' },
  )
}

/**
 * Starts a PostgreSQL container through `@testcontainers/postgresql`, with the same test-tuned
 * settings as the embedded server, and connects once to read its version. One container per
 * call; `release()` stops and removes it (and Ryuk, testcontainers' reaper, removes it if the
 * process dies first, unless `TESTCONTAINERS_RYUK_DISABLED` is set).
 *
 * @throws PgtestbedError `DOCKER_UNAVAILABLE` (package missing, no container runtime, bad image).
 * @example
 * await using server = await startDockerServer({ image: 'postgres:16-alpine' })
 * server.urlFor('t1') // postgres://postgres:…@localhost:32768/t1
 */
export async function startDockerServer(
  options: DockerServerOptions = {},
): Promise<DockerPostgresServer> {
  const image = options.image ?? (process.env.PGTESTBED_DOCKER_IMAGE || DEFAULT_DOCKER_IMAGE)
  const reporter = options.reporter ?? silentReporter
  const { PostgreSqlContainer } = await loadTestcontainers()
  const password = randomBytes(12).toString('hex')
  const step = reporter.step(`starting PostgreSQL container ${image}`)
  let container: Awaited<
    ReturnType<InstanceType<TestcontainersModule['PostgreSqlContainer']>['start']>
  >
  try {
    container = await new PostgreSqlContainer(image)
      .withDatabase('postgres')
      .withUsername('postgres')
      .withPassword(password)
      // A leading `-c` makes the official entrypoint run `postgres` with these arguments.
      .withCommand(
        settingsToArgs({
          ...TEST_TUNED_SETTINGS,
          max_connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
          ...options.settings,
        }),
      )
      .withStartupTimeout(options.startTimeoutMs ?? 120_000)
      .start()
  } catch (cause) {
    const error = dockerStartError(cause, image)
    step.fail(error.message)
    throw error
  }
  const adminUrl = container.getConnectionUri()
  let majorVersion: number
  let fsync = true
  try {
    const client = await connectPg(adminUrl, { fix: 'Look at the container logs (docker logs).' })
    try {
      const { rows } = await client.query<{ num: string; fsync: string }>(
        `SELECT current_setting('server_version_num') AS num, current_setting('fsync') AS fsync`,
      )
      majorVersion = Math.floor(Number(rows[0]?.num) / 10_000)
      fsync = rows[0]?.fsync !== 'off'
    } finally {
      await client.end().catch(() => {})
    }
  } catch (error) {
    await container.stop().catch(() => {})
    step.fail((error as Error).message)
    throw error
  }
  step.done()
  let released = false
  const release = async () => {
    if (released) return
    released = true
    await container.stop()
  }
  return {
    kind: 'docker',
    image,
    containerId: container.getId(),
    adminUrl,
    majorVersion,
    // The container's data folder is on Docker's storage driver (a disk) unless the user mounts a
    // tmpfs, which pgtestbed cannot see from here.
    storage: { medium: 'disk', fsync },
    urlFor: (name) => withDatabase(adminUrl, name),
    release,
    [Symbol.asyncDispose]: release,
  }
}
