import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { PgtestbedError } from '../errors.js'
import { connectPg, describeAddress, serverAddress } from '../internal/pg-connect.js'
import { withSignalCleanup } from '../internal/on-signal.js'
import { DEFAULT_COMMAND_TIMEOUT_MS, outputTail, runCommand } from '../internal/run-command.js'
import { silentReporter, type Reporter } from '../progress.js'
import { connectClient } from '../templates/admin.js'
import { createClone, type CloneSource } from '../templates/clone.js'
import { createScratchDatabase, type ScratchDatabase } from '../templates/scratch.js'
import { loadSchemaFile } from './dump.js'
import {
  CATALOG_READ_VERSION,
  inspectSchema,
  readCatalog,
  selectObjects,
  type CatalogRead,
  type InspectOptions,
} from './inspect.js'
import type { SchemaInspection } from './types.js'

/**
 * What the migrations' schema is compared with:
 * - `{ url }`: a live database, read in a read-only transaction (never written to);
 * - `{ command }`: the schema the code declares, built by a command (`npx drizzle-kit push
 *   --force`) into a fresh scratch database whose URL is in `DATABASE_URL` and the `PG*`
 *   variables; the scratch database is dropped afterwards, also on failure and Ctrl-C;
 * - `{ file }`: a schema dump (`pg_dump --schema-only`, dbmate's `db/schema.sql`) loaded into a
 *   scratch database.
 *
 * @example
 * const target: DiffTarget = { command: 'npx drizzle-kit push --force' }
 */
export type DiffTarget = { url: string } | CommandTarget | { file: string }

/** A command that builds the code's schema; see {@link DiffTarget}. */
export interface CommandTarget {
  /** The command line (run by the shell). */
  command: string
  /** The folder it runs in, relative to the project root. Default: the project root. */
  cwd?: string
  /** Give up after this long (ms). Default: 300000 (5 minutes). */
  timeoutMs?: number
}

/** Options of {@link inspectTarget}. */
export interface InspectTargetOptions {
  /** The server scratch databases are created on (the template's server). */
  adminUrl: string
  /** Project key for the scratch databases' records. */
  project: string
  /** The folder relative paths and commands start from. */
  cwd: string
  /** What to leave out of the inspection. */
  inspect: InspectOptions
  /** Environment of a command. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Progress. Default: silent. */
  reporter?: Reporter
}

/** A target's schema and how reports name it. */
export interface InspectedTarget {
  inspection: SchemaInspection
  /** Short name of the side: `live database`, `code's schema`, `schema file`. */
  label: string
  /** Which one: `postgres@db:5432/app`, `npx drizzle-kit push --force`, `db/schema.sql`. */
  description: string
}

/** `db:5432/app` of a URL, with the user, never the password. */
function describeDatabase(url: string): string {
  const address = serverAddress(url)
  return `${describeAddress(address)}/${address.database ?? '(default database)'}`
}

/**
 * Reads the schema of a target (see {@link DiffTarget}).
 *
 * @example
 * const { inspection, label } = await inspectTarget({ url: process.env.STAGING_URL! }, options)
 * @throws PgtestbedError SERVER_UNREACHABLE (url), DIFF_COMMAND_FAILED (command),
 *   DIFF_FILE_FAILED (file), INVALID_OPTIONS (none or several of url, command, file).
 */
export async function inspectTarget(
  target: DiffTarget,
  options: InspectTargetOptions,
): Promise<InspectedTarget> {
  const kinds = (['url', 'command', 'file'] as const).filter((k) => k in target)
  if (kinds.length !== 1) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `a diff target is one of { url }, { command } or { file }, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      { fix: "e.g. drift: { command: 'npx drizzle-kit push --force' }" },
    )
  }
  if ('url' in target) return inspectUrl(target.url, options)
  if ('command' in target) return inspectCommand(target, options)
  return inspectFile(target.file, options)
}

async function inspectUrl(url: string, options: InspectTargetOptions): Promise<InspectedTarget> {
  const client = await connectPg(url, {
    fix: 'Check the URL given with --url (or drift.url), and that the database exists and the server runs.',
  })
  try {
    // A session setting, not a write: the DBA sees who reads the catalog.
    await client.query(`SELECT set_config('application_name', 'pgtestbed diff (read-only)', false)`)
    const inspection = await inspectSchema(client, options.inspect)
    return { inspection, label: 'live database', description: describeDatabase(url) }
  } finally {
    await client.end().catch(() => {})
  }
}

/** Creates a scratch database, runs `fill` on it, inspects it, and drops it whatever happens. */
async function inspectScratch(
  options: InspectTargetOptions,
  label: string,
  fill: (scratch: ScratchDatabase, signal: AbortSignal) => Promise<void>,
): Promise<SchemaInspection> {
  const scratch = await createScratchDatabase(options.adminUrl, {
    project: options.project,
    label,
  })
  try {
    return await withSignalCleanup(
      () => scratch.drop(),
      async (signal) => {
        await fill(scratch, signal)
        const client = await connectClient(scratch.url, 'diff')
        try {
          return await inspectSchema(client, options.inspect)
        } finally {
          await client.end().catch(() => {})
        }
      },
    )
  } finally {
    await scratch.drop()
  }
}

async function inspectCommand(
  target: CommandTarget,
  options: InspectTargetOptions,
): Promise<InspectedTarget> {
  const reporter = options.reporter ?? silentReporter
  const cwd = path.resolve(options.cwd, target.cwd ?? '.')
  const step = reporter.step(`building the code's schema: ${target.command}`)
  try {
    const inspection = await inspectScratch(
      options,
      `diff: ${target.command}`,
      async (scratch, signal) => {
        const result = await runCommand({
          command: target.command,
          cwd,
          databaseUrl: scratch.url,
          ...(options.env ? { env: options.env } : {}),
          timeoutMs: target.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
          signal,
        })
        if (result.exitCode === 0) return
        const how = result.timedOut
          ? `did not finish within ${Math.round((target.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS) / 1000)} s and was stopped`
          : result.aborted
            ? 'was interrupted'
            : result.exitCode === null
              ? `was ended by ${result.signal ?? 'a signal'}`
              : `exited with code ${result.exitCode}`
        throw new PgtestbedError(
          'DIFF_COMMAND_FAILED',
          `the command \`${target.command}\` (in ${cwd}) ${how}; its scratch database ${scratch.name} was dropped.${result.output.trim() ? `\nIts output:\n${outputTail(result.output)}` : ''}`,
          {
            fix: 'Run the command yourself with DATABASE_URL set to an empty database and fix what it reports; it must build the whole schema into $DATABASE_URL (or the PG* variables) and exit 0.',
          },
        )
      },
    )
    step.done()
    return { inspection, label: "code's schema", description: target.command }
  } catch (error) {
    step.fail()
    throw error
  }
}

async function inspectFile(file: string, options: InspectTargetOptions): Promise<InspectedTarget> {
  const absolute = path.resolve(options.cwd, file)
  const shown = path.relative(options.cwd, absolute) || absolute
  const inspection = await inspectScratch(options, `diff: ${shown}`, async (scratch) => {
    const client = await connectClient(scratch.url, 'diff')
    try {
      await loadSchemaFile(client, absolute, shown)
    } finally {
      await client.end().catch(() => {})
    }
  })
  return { inspection, label: 'schema file', description: shown }
}

/**
 * Reads the schema of a template. A template accepts no connections, so it is cloned, and the
 * clone read and dropped; with `cacheDir`, what was read is kept in `<cacheDir>/diff/` under the
 * template's name (a template's schema never changes: its name is the hash of what built it),
 * and later calls read the file instead of cloning.
 *
 * @example
 * const expected = await inspectTemplate(testbed.info, { versionTables: [testbed.set.versionTable] })
 */
export async function inspectTemplate(
  source: CloneSource,
  options: InspectOptions,
  cacheDir?: string,
): Promise<SchemaInspection> {
  const file =
    cacheDir === undefined
      ? undefined
      : path.join(cacheDir, 'diff', `${source.template}.v${CATALOG_READ_VERSION}.json`)
  const cached = file === undefined ? undefined : await readCached(file)
  if (cached) return selectObjects(cached, options)
  let read: CatalogRead
  {
    await using clone = await createClone({ ...source, pool: false }, { label: 'pgtestbed diff' })
    const client = await connectClient(clone.url, 'diff')
    try {
      read = await readCatalog(client)
    } finally {
      await client.end().catch(() => {})
    }
  }
  if (file !== undefined) {
    // Best effort: without the file the next diff clones again.
    await mkdir(path.dirname(file), { recursive: true })
      .then(() => writeFile(file, JSON.stringify(read)))
      .catch(() => {})
  }
  return selectObjects(read, options)
}

async function readCached(file: string): Promise<CatalogRead | undefined> {
  try {
    const read = JSON.parse(await readFile(file, 'utf8')) as CatalogRead
    return Array.isArray(read.objects) ? read : undefined
  } catch {
    return undefined
  }
}
