import type pg from 'pg'
import { displayPath } from '../diagnostics.js'
import { PgtestbedError } from '../errors.js'
import type { Reporter } from '../progress.js'
import { connectClient, withAdminClient } from './admin.js'
import { databaseSettings, dumpDatabase, pgDumpProblem } from './cache-dump.js'
import { readCacheEntry, writeCacheEntry } from './cache-entry.js'
import { createScratchDatabase } from './scratch.js'
import { describePgError } from './sql.js'

/**
 * The template cache (`templateCache: '<folder>'`): a folder, typically one CI caches between
 * jobs and machines, holding built templates keyed by fingerprint (see `cache-entry.ts` for the
 * file format and `cache-dump.ts` for how a template becomes SQL).
 *
 * - Building a template whose entry is in the folder restores the entry into the build database
 *   instead of applying the migrations; the build is then sealed exactly like a built one
 *   (ownership record, `IS_TEMPLATE`, rename), so pgtestbed treats it the same afterwards.
 * - An entry that cannot be used (another fingerprint or server major, truncated, edited, or one
 *   whose SQL fails on this server) is ignored with a warning naming the file and why, and the
 *   template is built from the migrations; a failed restore rolls back whole (one transaction),
 *   and its build database is dropped: never half-used.
 * - After a build (or a reuse) whose entry is missing, the template is dumped to the folder, so
 *   the next machine restores it. This needs `pg_dump` (see `pgDumpFor`); without it a warning
 *   says so and the run goes on.
 * @module
 */

/** Why a restore did not happen, or where from it did. */
export type RestoreOutcome = { restored: true; file: string; ms: number } | { restored: false }

/** The server's major version, as the connected client sees it. */
async function serverMajorOf(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ v: string }>(
    `SELECT current_setting('server_version_num') AS v`,
  )
  return Math.floor(Number(rows[0]?.v) / 10_000)
}

/**
 * Restores the cache entry of `fingerprint` into the (fresh, empty) database `client` is
 * connected to. Returns `{ restored: false }`, leaving the database unchanged, when there is no
 * usable entry or its SQL fails (each reported through `reporter.warn`).
 *
 * @example
 * const outcome = await restoreTemplate(client, { dir: '.pgtestbed-cache', fingerprint: hash, templateName, reporter })
 */
export async function restoreTemplate(
  client: pg.Client,
  options: { dir: string; fingerprint: string; templateName: string; reporter: Reporter },
): Promise<RestoreOutcome> {
  const started = performance.now()
  const { dir, reporter } = options
  const major = await serverMajorOf(client)
  const entry = await readCacheEntry(dir, options.fingerprint, major)
  const shown = displayPath(entry.file, process.cwd())
  if (!entry.found) {
    if (entry.why) {
      reporter.warn(
        `template cache: ignoring ${shown}: ${entry.why}; building ${options.templateName} from the migrations`,
      )
    }
    return { restored: false }
  }
  try {
    await client.query(entry.sql)
  } catch (error) {
    reporter.warn(
      `template cache: ${shown} does not restore on this server (${describePgError(error)}; dumped from PostgreSQL ${entry.header.serverVersion}); building ${options.templateName} from the migrations`,
    )
    return { restored: false }
  }
  return { restored: true, file: entry.file, ms: performance.now() - started }
}

/** Options of {@link exportTemplate}. */
export interface ExportTemplateOptions {
  adminUrl: string
  /** The complete template to save. */
  templateName: string
  fingerprint: string
  /** Project key for the scratch copy's record. */
  project: string
  dir: string
  reporter: Reporter
  /** Write even when a sound entry exists. Default: `false` (a sound entry is kept, a damaged one replaced). */
  overwrite?: boolean
  /**
   * Without a `pg_dump` that can dump the server, save nothing and return `undefined` instead of
   * failing. Default: `false`.
   */
  ifPgDump?: boolean
}

/**
 * Saves the template into the cache folder, from a scratch copy (a template accepts no
 * connections). Returns the entry's file, or `undefined` when an entry was already there (or,
 * with `ifPgDump`, when no `pg_dump` can dump the server).
 *
 * @throws PgtestbedError TEMPLATE_CACHE_FAILED (pg_dump missing or failing, database-level
 *   settings a dump cannot carry, the folder not writable).
 */
export async function exportTemplate(options: ExportTemplateOptions): Promise<string | undefined> {
  const { adminUrl, templateName, fingerprint, dir } = options
  if (!options.overwrite && (await readCacheEntry(dir, fingerprint)).found) return undefined
  const fail = (why: string, cause?: unknown) =>
    new PgtestbedError(
      'TEMPLATE_CACHE_FAILED',
      `cannot save template ${templateName} to the template cache ${displayPath(dir, process.cwd())}: ${why}`,
      {
        ...(cause === undefined ? {} : { cause }),
        fix: "Install pg_dump of the server's major version (or newer) or point PGTESTBED_PG_DUMP at it, and make the folder writable; or remove the templateCache option.",
      },
    )
  // Checked before copying the template: a copy of a large one takes a while.
  const problem = await pgDumpProblem(await withAdminClient(adminUrl, serverMajorOf))
  if (problem !== undefined) {
    if (options.ifPgDump) return undefined
    throw fail(problem)
  }
  await using scratch = await createScratchDatabase(adminUrl, {
    project: options.project,
    label: 'template cache export',
    baseTemplate: templateName,
  })
  const client = await connectClient(scratch.url, 'template cache')
  let major: number
  let version: string
  try {
    major = await serverMajorOf(client)
    version = (await client.query<{ v: string }>('SHOW server_version')).rows[0]?.v ?? 'unknown'
    const settings = await databaseSettings(client)
    if (settings.length > 0) {
      throw fail(
        `the template has database-level settings a dump does not carry (${settings.join(', ')})`,
      )
    }
  } finally {
    await client.end().catch(() => {})
  }
  let dump: Awaited<ReturnType<typeof dumpDatabase>>
  try {
    dump = await dumpDatabase(scratch.url, major)
  } catch (error) {
    throw fail((error as Error).message, error)
  }
  try {
    return await writeCacheEntry(
      dir,
      { fingerprint, serverMajor: major, serverVersion: version, dumpedWith: dump.dumpedWith },
      dump.sql,
    )
  } catch (error) {
    throw fail((error as Error).message, error)
  }
}
