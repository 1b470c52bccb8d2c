import { PgtestbedError } from '../../errors.js'
import { redactUrl, serverAddress } from '../../internal/pg-connect.js'
import type { Queryable } from '../../internal/queryable.js'
import { readCatalog } from '../../diff/inspect.js'
import { outputTail, runCommand, type CommandResult } from '../../internal/run-command.js'
import type { MigratorSet } from './types.js'
import { plural } from '../../internal/plural.js'

/**
 * Every object of the database as the catalog shows it, version tables included: a tool that
 * only created its own version table did change the database.
 */
async function catalogOf(client: Queryable): Promise<string> {
  return JSON.stringify((await readCatalog(client)).objects)
}

/** How many lines of a failed command's output its error shows. */
const TAIL_LINES = 30

/** What the user's tool is, for messages: `` migrate command `npx knex migrate:latest` ``. */
export function describeMigrator(set: MigratorSet): string {
  const { migrator } = set
  return migrator.kind === 'command' ? `migrate command \`${migrator.command}\`` : 'migrate.run'
}

const minutes = (ms: number) =>
  ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 1000).toFixed(1)} s`

function commandFailure(set: MigratorSet, result: CommandResult): PgtestbedError {
  const { migrator } = set
  const lines = result.output.trim() === '' ? 0 : result.output.trimEnd().split(/\r?\n/).length
  const shown = Math.min(lines, TAIL_LINES)
  const output =
    shown > 0
      ? `\nits last ${plural(shown, 'line')} of output:\n${outputTail(result.output, TAIL_LINES)}`
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
    result.exitCode !== null
      ? `failed with exit code ${result.exitCode}`
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : 'could not be started (is the folder there, and a shell?)'

  return new PgtestbedError(
    'TEMPLATE_BUILD_FAILED',
    `${describeMigrator(set)} ${how} (in ${migrator.cwd}, after ${minutes(result.ms)})${output}`,
    {
      fix: 'fix what its output reports; to see all of it, run the command yourself with DATABASE_URL pointing at an empty database',
    },
  )
}

async function runMigrateCommand(set: MigratorSet, url: string): Promise<void> {
  const { migrator } = set
  const result = await runCommand({
    command: migrator.command ?? '',
    cwd: migrator.cwd,
    databaseUrl: url,
    timeoutMs: migrator.timeoutMs,
  })
  if (result.timedOut || result.exitCode !== 0) throw commandFailure(set, result)
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
  const before = await catalogOf(client)
  if (set.migrator.kind === 'command') await runMigrateCommand(set, url)
  else await runFunction(set, url)
  if ((await catalogOf(client)) !== before) return
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
