import { PgtestbedError } from '../../errors.js'
import { redactUrl, serverAddress } from '../../internal/pg-connect.js'
import type { Queryable } from '../../templates/admin.js'
import { diffCatalog, isSameCatalog, snapshotCatalog } from '../../templates/catalog-snapshot.js'
import { runShellCommand, type ShellCommandResult } from './command.js'
import type { MigratorSet } from './types.js'

/**
 * A version table no tool has: the catalog snapshots before and after a run then count the tool's
 * own version table as the change it is.
 */
const NO_VERSION_TABLE = { table: 'pgtestbed no version table' }

/** Libpq variables that would send a client elsewhere than the variables pgtestbed sets. */
const REDIRECTING = ['PGHOSTADDR', 'PGSERVICE', 'PGSERVICEFILE', 'PGREQUIRESSL']

/**
 * The environment a migrate command runs with: pgtestbed's own, plus `DATABASE_URL` and the
 * libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, and `PGSSLMODE`
 * when the URL sets one) pointing at `url`; libpq variables that would override them are removed.
 *
 * @example
 * migrateEnvironment('postgres://app:pw@db:5433/pgtestbed_bld_1', {}).PGPORT // '5433'
 */
function migrateEnvironment(url: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const address = serverAddress(url)
  const parsed = new URL(url)
  const env: NodeJS.ProcessEnv = { ...base }
  for (const name of REDIRECTING) delete env[name]
  env.DATABASE_URL = url
  env.PGHOST = address.host
  env.PGPORT = String(address.port)
  if (address.database !== undefined) env.PGDATABASE = address.database
  if (address.user !== undefined) env.PGUSER = address.user
  const password = parsed.searchParams.get('password') ?? decodeURIComponent(parsed.password)
  if (password !== '') env.PGPASSWORD = password
  else delete env.PGPASSWORD
  const sslmode = parsed.searchParams.get('sslmode')
  if (sslmode) env.PGSSLMODE = sslmode
  return env
}

/** What the user's tool is, for messages: `` migrate command `npx knex migrate:latest` ``. */
export function describeMigrator(set: MigratorSet): string {
  const { migrator } = set
  return migrator.kind === 'command' ? `migrate command \`${migrator.command}\`` : 'migrate.run'
}

const minutes = (ms: number) =>
  ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 1000).toFixed(1)} s`

function commandFailure(set: MigratorSet, result: ShellCommandResult): PgtestbedError {
  const { migrator } = set
  const shown = result.tail.filter((line, i, all) => line.trim() !== '' || i < all.length - 1)
  const output =
    shown.length > 0
      ? `\nits last ${shown.length} line${shown.length === 1 ? '' : 's'} of output:\n${shown.map((l) => `  | ${l}`).join('\n')}`
      : '\nit printed nothing'
  if (result.timedOut) {
    return new PgtestbedError(
      'TEMPLATE_BUILD_FAILED',
      `${describeMigrator(set)} ran longer than migrate.timeoutMs (${minutes(migrator.timeoutMs)}), so pgtestbed stopped it and its whole process group (in ${migrator.cwd})${output}`,
      {
        fix: 'find what it waits for (a prompt, a lock, a server it cannot reach), or raise migrate.timeoutMs',
      },
    )
  }
  const how =
    result.code === null
      ? `was killed by ${result.signal ?? 'a signal'}`
      : `failed with exit code ${result.code}`
  return new PgtestbedError(
    'TEMPLATE_BUILD_FAILED',
    `${describeMigrator(set)} ${how} (in ${migrator.cwd}, after ${minutes(result.ms)})${output}`,
    {
      fix: 'fix what its output reports; to see all of it, run the command yourself with DATABASE_URL pointing at an empty database',
    },
  )
}

async function runCommand(set: MigratorSet, url: string): Promise<void> {
  const { migrator } = set
  let result: ShellCommandResult
  try {
    result = await runShellCommand({
      command: migrator.command ?? '',
      cwd: migrator.cwd,
      env: migrateEnvironment(url, process.env),
      timeoutMs: migrator.timeoutMs,
    })
  } catch (error) {
    throw new PgtestbedError(
      'TEMPLATE_BUILD_FAILED',
      `${describeMigrator(set)} could not be started in ${migrator.cwd}: ${(error as Error).message}`,
      { cause: error, fix: 'check that the folder exists and a shell is available' },
    )
  }
  if (result.timedOut || result.code !== 0) throw commandFailure(set, result)
}

async function runFunction(set: MigratorSet, url: string): Promise<void> {
  const { migrator } = set
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`migrate.timeoutMs (${migrator.timeoutMs} ms) elapsed`))
      reject(
        new PgtestbedError(
          'TEMPLATE_BUILD_FAILED',
          `migrate.run did not finish within migrate.timeoutMs (${minutes(migrator.timeoutMs)}); its signal was aborted and the build database is dropped`,
          {
            fix: 'find what it waits for (a lock, a server it cannot reach, a connection it never closes), or raise migrate.timeoutMs',
          },
        ),
      )
    }, migrator.timeoutMs)
  })
  try {
    await Promise.race([
      Promise.resolve().then(() => migrator.run?.({ url, signal: controller.signal })),
      timeout,
    ])
  } catch (error) {
    if (error instanceof PgtestbedError && controller.signal.aborted) throw error
    throw new PgtestbedError(
      'TEMPLATE_BUILD_FAILED',
      `migrate.run failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, fix: 'fix the error it reports (the cause below has its stack)' },
    )
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Builds a schema with the user's own tool: runs `migrate.command` (with `DATABASE_URL` and the
 * libpq variables pointing at `url`) or calls `migrate.run({ url, signal })`, then checks that
 * the database changed. A tool that migrated nothing here most likely migrated another database
 * (its own config or `.env` won over `DATABASE_URL`), so that is an error too.
 *
 * @param client a connection to the database at `url`, used for the before/after catalog.
 * @throws PgtestbedError TEMPLATE_BUILD_FAILED: a non-zero exit (with the command, its exit code
 *   and the last lines of its output), a timeout (the process group is killed), a function that
 *   threw, or a run that changed nothing.
 * @example
 * await runMigrator(client, buildUrl, set)
 */
export async function runMigrator(client: Queryable, url: string, set: MigratorSet): Promise<void> {
  const before = await snapshotCatalog(client, NO_VERSION_TABLE)
  if (set.migrator.kind === 'command') await runCommand(set, url)
  else await runFunction(set, url)
  const after = await snapshotCatalog(client, NO_VERSION_TABLE)
  if (!isSameCatalog(diffCatalog(before, after))) return
  const database = serverAddress(url).database ?? 'the build database'
  const target =
    set.migrator.kind === 'command'
      ? 'DATABASE_URL (and PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE)'
      : 'the `url` it was given'
  throw new PgtestbedError(
    'TEMPLATE_BUILD_FAILED',
    `${describeMigrator(set)} finished without error but changed nothing in the build database ${database} (${redactUrl(url)}): it did not use ${target}, so it probably migrated another database named in its own config or .env`,
    {
      fix:
        set.migrator.kind === 'command'
          ? "make the tool read its connection from DATABASE_URL (e.g. knexfile.js: connection: process.env.DATABASE_URL), and check that no .env file of the tool's overrides it"
          : 'connect to the `url` that migrate.run receives, not to a URL of your own',
    },
  )
}
