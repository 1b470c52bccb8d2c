import type pg from 'pg'
import { hasErrors, type Diagnostic } from '../diagnostics.js'
import { PgtestbedError } from '../errors.js'
import { connectPg, describeAddress, serverAddress } from '../internal/pg-connect.js'
import { discoverMigrations } from '../migrations/files/discover.js'
import { checkManifest, declaredManifest } from '../migrations/files/manifest.js'
import type { MigrationSet } from '../migrations/types.js'
import { formatCheckText, judge } from './check-format.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'
import { plural } from '../internal/plural.js'

/** The database `up`, `down`, `status` and `version` work on. */
export interface Target {
  client: pg.Client
  url: string
  /** `user@host:port/database`, never the password. */
  label: string
}

/**
 * The URL of the database to migrate: `--url`, else `PGTESTBED_URL`. `DATABASE_URL` is never read
 * on its own (it may be a developer's real database); pass `--url "$DATABASE_URL"` to use it.
 *
 * @throws PgtestbedError INVALID_OPTIONS when neither is set.
 */
export function targetUrl(flagUrl: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = flagUrl ?? (env.PGTESTBED_URL || undefined)
  if (url === undefined) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      'no database to work on: pass --url or set PGTESTBED_URL',
      {
        fix: 'pgtestbed up --url postgres://user:password@host:5432/app (DATABASE_URL is not read unless you pass --url "$DATABASE_URL")',
      },
    )
  }
  return url
}

/** Connects to the database to migrate (`SERVER_UNREACHABLE` names user@host:port, never the password). */
export async function connectTarget(url: string): Promise<Target> {
  const address = serverAddress(url)
  const client = await connectPg(url, {
    fix: 'check the URL given with --url or PGTESTBED_URL, and that the server is running and the database exists',
  })
  // Names this session in pg_stat_activity, so a run waiting for the migration lock can say who holds it.
  await client
    .query(`SELECT set_config('application_name', $1, false)`, [`pgtestbed cli pid=${process.pid}`])
    .catch(async (error: unknown) => {
      await client.end().catch(() => {})
      throw error
    })
  return {
    client,
    url,
    label: `${describeAddress(address)}/${address.database ?? '(default database)'}`,
  }
}

/**
 * Discovers and validates the migrations and compares them with the declared manifest, as the
 * plugins do before a test run. Errors are printed grouped by file and end the command with
 * exit code 1 (nothing is sent to the database); warnings are counted in one line.
 *
 * @returns the set, or the exit code to stop with.
 */
export async function loadValidatedSet(
  settings: CliSettings,
  output: Output,
): Promise<MigrationSet | number> {
  const started = performance.now()
  if (settings.migrate !== undefined) {
    const kind = settings.migrate.command === undefined ? 'function' : 'command'
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `the config builds the schema with a migrate ${kind}${settings.migrate.command === undefined ? '' : ` (\`${settings.migrate.command}\`)`}, whose tool keeps its own migrations and history: pgtestbed up, down, status and version work on migrations pgtestbed reads itself`,
      {
        fix: `run your migration tool against the database directly${settings.migrate.command === undefined ? '' : ` (DATABASE_URL=<url> ${settings.migrate.command})`}, or pass --dir <migrations folder> for a format pgtestbed reads`,
      },
    )
  }
  const set = await discoverMigrations(settings.migrations)
  const diagnostics: Diagnostic[] = [...set.diagnostics]
  const declared = await declaredManifest(set, settings.manifest)
  const manifest =
    declared === undefined ? undefined : typeof declared === 'string' ? declared : 'config list'
  const manifestChecked = declared !== undefined && !hasErrors(diagnostics)
  if (manifestChecked) diagnostics.push(...(await checkManifest(set, declared)))
  if (!hasErrors(diagnostics)) {
    const warnings = diagnostics.length
    if (warnings > 0) {
      output.note(
        output.errColors.yellow(
          `pgtestbed: ${plural(warnings, 'warning')} about the migrations (run \`pgtestbed check\` to see them)`,
        ),
      )
    }
    return set
  }
  const report = {
    set,
    diagnostics,
    manifest,
    steps: {
      validation: { ran: true as const },
      manifest: manifestChecked
        ? { ran: true as const }
        : { ran: false as const, skipped: 'fix the errors above first' },
    },
    ms: performance.now() - started,
  }
  const verdict = judge(report, false)
  output.note(
    formatCheckText(report, verdict, {
      cwd: settings.cwd,
      colors: output.errColors,
      strict: false,
    }),
  )
  output.note('pgtestbed: nothing was changed in the database: fix the migrations first')
  return verdict.exitCode
}
