import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import type pg from 'pg'
import { databaseEnv } from '../internal/run-command.js'

/**
 * Turning a template into SQL and back, for the template cache (`templateCache`).
 *
 * The format was chosen by measurement (`bench/src/template-cache.bench.mjs`): PostgreSQL has no
 * way to attach another cluster's database files, so an entry is the template's contents as
 * plain SQL from the server's own `pg_dump` (`--inserts`, so the whole file runs as one
 * simple-query round trip, in one implicit transaction, through the pg protocol: restoring needs
 * no PostgreSQL binaries, only dumping does). A restore either runs completely or rolls back.
 * @module
 */

const run = promisify(execFile)

/** libpq variables that would send pg_dump elsewhere than the URL says. */
const REDIRECTING = ['PGHOSTADDR', 'PGSERVICE', 'PGSERVICEFILE', 'PGPASSFILE', 'PGDATABASE']

/**
 * The `pg_dump` to use for a server of `serverMajor`: `PGTESTBED_PG_DUMP` when set, else the
 * Debian/Ubuntu layout's `/usr/lib/postgresql/<major>/bin/pg_dump`, else `pg_dump` from `PATH`
 * (pg_dump refuses servers newer than itself; that error is reported).
 */
function pgDumpFor(serverMajor: number): string {
  const fromEnv = process.env.PGTESTBED_PG_DUMP
  if (fromEnv) return fromEnv
  const debian = `/usr/lib/postgresql/${serverMajor}/bin/pg_dump`
  return existsSync(debian) ? debian : 'pg_dump'
}

/**
 * Why the `pg_dump` for a server of `serverMajor` cannot dump it (not installed, or an older
 * major than the server's), or `undefined` when it can. Costs one `pg_dump --version`.
 */
export async function pgDumpProblem(serverMajor: number): Promise<string | undefined> {
  const bin = pgDumpFor(serverMajor)
  const fix = `set PGTESTBED_PG_DUMP to a pg_dump of PostgreSQL ${serverMajor} or newer`
  let version: string
  try {
    version = (await run(bin, ['--version'])).stdout.trim()
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') return `${bin} is not installed (${fix})`
    return `${bin} --version failed: ${(e.stderr ?? e.message).trim()}`
  }
  // `pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)`
  const major = Number(/\)\s+(\d+)/.exec(version)?.[1] ?? Number.NaN)
  return !(major >= serverMajor)
    ? `${bin} is ${version}, older than the server's PostgreSQL ${serverMajor} (${fix})`
    : undefined
}

/** What {@link dumpDatabase} returns. */
export interface Dump {
  sql: string
  /** `pg_dump --version`, e.g. `pg_dump (PostgreSQL) 15.20`. */
  dumpedWith: string
}

/**
 * Dumps the database at `url` as plain SQL that runs through the pg protocol: psql
 * meta-commands (`\restrict`, `\unrestrict` of recent pg_dump versions) are removed, data comes
 * as multi-row INSERTs.
 *
 * @throws Error with pg_dump's own message (not installed, older than the server, no access).
 */
export async function dumpDatabase(url: string, serverMajor: number): Promise<Dump> {
  const bin = pgDumpFor(serverMajor)
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of REDIRECTING) delete env[name]
  Object.assign(env, databaseEnv(url))
  try {
    const [version, dump] = await Promise.all([
      run(bin, ['--version'], { env }),
      run(bin, ['--format=plain', '--inserts', '--rows-per-insert=1000', '--no-password'], {
        env,
        maxBuffer: 1024 * 1024 * 1024,
      }),
    ])
    return { sql: withoutMetaCommands(dump.stdout), dumpedWith: version.stdout.trim() }
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new Error(
        `${bin} is not installed (set PGTESTBED_PG_DUMP to a pg_dump of PostgreSQL ${serverMajor} or newer)`,
      )
    }
    throw new Error(`${bin} failed: ${(e.stderr ?? e.message).trim()}`)
  }
}

/**
 * Removes the lines only psql understands: pg_dump 17.6+ (and the matching minor releases of
 * older majors) brackets a dump with `\restrict <key>` … `\unrestrict <key>`. With `--inserts`
 * no data line starts a line with a backslash outside a string, and these two carry a random key.
 */
function withoutMetaCommands(sql: string): string {
  return sql.replace(/^\\(?:un)?restrict [A-Za-z0-9]+$/gm, '')
}

/**
 * Database-level settings (`ALTER DATABASE … SET`) that pg_dump leaves out without `--create`:
 * a template that has them cannot be cached faithfully. Returns them, `[]` when none.
 */
export async function databaseSettings(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ setting: string }>(
    `SELECT unnest(setconfig) AS setting FROM pg_db_role_setting
      WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  )
  return rows.map((r) => r.setting)
}
