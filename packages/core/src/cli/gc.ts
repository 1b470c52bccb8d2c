import { PgtestbedError } from '../errors.js'
import { createConsoleReporter } from '../progress.js'
import { describeAddress, serverAddress } from '../internal/pg-connect.js'
import { resolveServer } from '../servers/resolve.js'
import type { EmbeddedPostgresServer } from '../servers/embedded/server.js'
import type { PostgresServer } from '../servers/types.js'
import { closeAdminPools } from '../templates/admin.js'
import { sweep, type SweepEntry, type SweepOptions, type SweepReport } from '../templates/sweep.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'
import { plural } from '../internal/plural.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'

/** Flags of `pgtestbed gc`. */
export interface GcFlags {
  url?: string
  dryRun?: boolean
  /** `--older-than <duration>`: the sweeper's `ttlMs`. */
  olderThan?: number
  keepTemplates?: number
  /** `--force`: also drop databases of runs that are still going. */
  force?: boolean
  format?: string
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Parses `90s`, `30m`, `24h`, `3d` or a number of milliseconds.
 *
 * @throws PgtestbedError INVALID_OPTIONS for anything else.
 * @example
 * parseDuration('24h') // 86400000
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim())
  if (!match) {
    throw new PgtestbedError('INVALID_OPTIONS', `"${text}" is not a duration`, {
      fix: 'write it as a number with a unit: 90s, 30m, 24h or 3d (a bare number is milliseconds)',
    })
  }
  return Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1)
}

/** The server to sweep: `--url`, the config's `url`, `PGTESTBED_URL`, else the config's server (embedded by default). */
async function openServer(
  settings: CliSettings,
  flags: GcFlags,
  env: NodeJS.ProcessEnv,
): Promise<{ adminUrl: string; label: string; server?: PostgresServer }> {
  const url = flags.url ?? settings.configUrl ?? (env.PGTESTBED_URL || undefined)
  if (url !== undefined) return { adminUrl: url, label: describeAddress(serverAddress(url)) }
  const server = await resolveServer({
    ...settings.server,
    reporter: createConsoleReporter(),
  })
  return {
    adminUrl: server.adminUrl,
    label: `${server.kind} PostgreSQL ${server.majorVersion}`,
    server,
  }
}

/**
 * Lets go of the embedded server gc attached to. One that was already running (a failed test left
 * it up for its kept databases) stays up while kept databases remain on it, and always after a
 * dry run, so the URLs printed for them keep working; gc says what it did either way.
 */
async function releaseServer(
  server: PostgresServer | undefined,
  report: SweepReport | undefined,
  output: Output,
): Promise<void> {
  if (server?.kind !== 'embedded' || (server as EmbeddedPostgresServer).started) {
    await server?.release()
    return
  }
  const kept = report?.kept.filter((e) => e.kept).length ?? 0
  if (report === undefined || report.dryRun || kept > 0) {
    await server.release({ keepRunning: true })
    const why = kept > 0 ? `for the ${plural(kept, 'kept database')} on it` : 'as it was'
    output.note(
      `pgtestbed: left the embedded server running ${why} (\`pgtestbed server stop\` stops it)`,
    )
    return
  }
  await server.release()
  output.note(
    'pgtestbed: stopped the embedded server: no kept database is left on it (the next run starts it again)',
  )
}

function table(entries: readonly SweepEntry[]): string[] {
  const width = Math.max(0, ...entries.map((e) => e.name.length))
  return entries.map((e) => `  ${e.name.padEnd(width)}  ${(e.kind ?? '-').padEnd(8)}  ${e.reason}`)
}

/**
 * `pgtestbed gc`: runs the sweeper against a server and lists what it dropped (or, with
 * `--dry-run`, would drop) and what it left alone, each with the reason. Only databases with
 * pgtestbed's name prefix AND ownership record are ever dropped. Exit 1 when a drop failed.
 */
export async function runGc(
  settings: CliSettings,
  flags: GcFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const target = await openServer(settings, flags, env)
  let report: SweepReport | undefined
  try {
    const options: SweepOptions = { ...settings.sweep, dryRun: flags.dryRun === true }
    // The config's `limit` bounds the start-up sweep of a test run; an explicit gc sweeps everything.
    delete options.limit
    // An explicit age covers databases kept for debugging too: `--older-than 1h` drops those
    // kept more than an hour ago instead of waiting for keptTtlMs (3 days by default).
    if (flags.olderThan !== undefined) {
      options.ttlMs = flags.olderThan
      options.keptTtlMs = Math.min(flags.olderThan, options.keptTtlMs ?? flags.olderThan)
    }
    if (flags.keepTemplates !== undefined) options.keepTemplates = flags.keepTemplates
    if (flags.force === true) options.force = true
    report = await sweep(target.adminUrl, options)
  } finally {
    await closeAdminPools(target.adminUrl).catch(() => {})
    await releaseServer(target.server, report, output)
  }
  if (flags.format === 'json') {
    output.print(JSON.stringify({ server: target.label, ...report }, null, 2))
    return report.failed.length > 0 ? EXIT_FAILED : EXIT_OK
  }
  const c = output.colors
  const dropped = report.dryRun ? 'would drop' : 'dropped'
  output.print(
    `pgtestbed: gc on ${target.label}${report.dryRun ? ' (dry run: nothing is dropped)' : ''}`,
  )
  output.print(
    `${c.bold(`${dropped} ${plural(report.dropped.length, 'database')}`)}${report.dropped.length ? ':' : ''}`,
  )
  for (const line of table(report.dropped)) output.print(line)
  if (report.failed.length > 0) {
    output.print(c.red(`failed to drop ${plural(report.failed.length, 'database')}:`))
    for (const line of table(report.failed)) output.print(line)
  }
  output.print(
    `${c.bold(`left alone ${plural(report.kept.length, 'database')}`)}${report.kept.length ? ':' : ''}`,
  )
  for (const line of table(report.kept)) output.print(line)
  return report.failed.length > 0 ? EXIT_FAILED : EXIT_OK
}
