import path from 'node:path'
import { displayPath } from '../diagnostics.js'
import { isPgtestbedError } from '../errors.js'
import { applyMigrations, type MigrationEvent } from '../migrations/database/apply.js'
import { MigrationApplyError } from '../migrations/database/apply-errors.js'
import { rollbackMigrations } from '../migrations/database/rollback.js'
import { formatMigrationStatus, getMigrationStatus } from '../migrations/database/status.js'
import type { MigrationSet } from '../migrations/types.js'
import { versionTableDriver } from '../migrations/database/version-tables/index.js'
import { EXIT_FAILED, EXIT_OK, EXIT_PENDING } from './exit.js'
import { printFailureState } from './migrate-failure.js'
import { acquireMigrationLock, type MigrationLockOptions } from '../migrations/database/lock.js'
import { plural } from '../internal/plural.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'
import { connectTarget, loadValidatedSet, targetUrl, type Target } from './target.js'
import { waitForTarget } from './wait.js'

/** Flags of `up`, `down`, `status` and `version`. */
export interface MigrateFlags {
  url?: string
  to?: string
  allowMissing?: boolean
  /** `--lock-timeout`: how long `up`/`down` wait for another run's lock (ms). */
  lockTimeout?: number
  /** `up --wait`: how long to wait for the server to accept connections (ms). */
  wait?: number
  /** `status --check`: exit 3 when migrations are pending. */
  check?: boolean
}

type Action = (set: MigrationSet, target: Target, output: Output) => Promise<number>

/**
 * Validates, connects, takes the migration lock when `lock` (it goes with the connection), runs
 * `action`, and always closes the connection.
 */
async function withTarget(
  settings: CliSettings,
  flags: MigrateFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
  lock: boolean,
  action: Action,
): Promise<number> {
  const url = targetUrl(flags.url, env)
  const set = await loadValidatedSet(settings, output)
  if (typeof set === 'number') return set
  const target =
    flags.wait === undefined
      ? await connectTarget(url)
      : await waitForTarget(url, flags.wait, output)
  try {
    if (lock) await acquireMigrationLock(target.client, set, lockOptions(flags, target, output))
    return await action(set, target, output)
  } finally {
    await target.client.end().catch(() => {})
  }
}

/** The migration lock's timeout and a note on stderr when another run holds it. */
function lockOptions(flags: MigrateFlags, target: Target, output: Output): MigrationLockOptions {
  return {
    ...(flags.lockTimeout === undefined ? {} : { timeoutMs: flags.lockTimeout }),
    onWait: (holder) =>
      output.note(`pgtestbed: waiting for another migration run on ${target.label}: ${holder}`),
  }
}

const nameOf = (set: MigrationSet, file: string) =>
  path.relative(set.dir, file).split(path.sep).join('/')

/** Prints `OK   001_create_users.sql (12 ms)` as each migration finishes, like goose. */
function progress(set: MigrationSet, output: Output) {
  const c = output.colors
  return (event: MigrationEvent) => {
    if (event.phase !== 'done') return
    output.print(
      `${c.green('OK')}   ${nameOf(set, event.migration.up.file)} ${c.dim(`(${Math.round(event.ms ?? 0)} ms)`)}`,
    )
  }
}

/**
 * `pgtestbed up`: applies pending Up sections, recording each in the tool's own version table.
 * A failure prints what was applied, what failed (file, line, PostgreSQL's error) and the
 * database's state afterwards (golang-migrate: the dirty flag and how to clear it); exit 1.
 */
export function runUp(
  settings: CliSettings,
  flags: MigrateFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  return withTarget(settings, flags, output, env, false, async (set, target) => {
    const where = `${target.label} (${set.format}, ${displayPath(set.dir, settings.cwd)}/)`
    try {
      const result = await applyMigrations(target.client, set, {
        ...(flags.to === undefined ? {} : { to: flags.to }),
        ...(flags.allowMissing ? { allowMissing: true } : {}),
        onMigration: progress(set, output),
        lock: lockOptions(flags, target, output),
      })
      const version = result.currentVersion ?? 'none'
      // A replica that waited for another run's lock usually finds everything applied: success.
      const upToDate = result.waitedForLock
        ? `pgtestbed: another run applied the migrations; ${where} is up to date; current version: ${version}`
        : `pgtestbed: no migrations to run on ${where}; current version: ${version}`
      output.print(
        result.applied.length === 0
          ? upToDate
          : `pgtestbed: applied ${plural(result.applied.length, 'migration')} to ${where} in ${Math.round(result.ms)} ms; current version: ${version}`,
      )
      return EXIT_OK
    } catch (error) {
      if (
        error instanceof MigrationApplyError ||
        (isPgtestbedError(error) && error.code === 'APPLY_FAILED')
      ) {
        await printFailureState(error, set, target, output)
        return EXIT_FAILED
      }
      throw error
    }
  })
}

/** `pgtestbed down`: rolls back the newest migration, or everything above `--to`. */
export function runDown(
  settings: CliSettings,
  flags: MigrateFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  return withTarget(settings, flags, output, env, true, async (set, target) => {
    try {
      const result = await rollbackMigrations(target.client, set, {
        ...(flags.to === undefined ? {} : { to: flags.to }),
        onMigration: progress(set, output),
      })
      const status = await getMigrationStatus(target.client, set)
      const version = status.currentVersion ?? 'none'
      output.print(
        result.rolledBack.length === 0
          ? `pgtestbed: nothing to roll back on ${target.label}; current version: ${version}`
          : `pgtestbed: rolled back ${plural(result.rolledBack.length, 'migration')} on ${target.label} in ${Math.round(result.ms)} ms; current version: ${version}`,
      )
      return EXIT_OK
    } catch (error) {
      if (error instanceof MigrationApplyError) {
        await printFailureState(error, set, target, output)
        return EXIT_FAILED
      }
      throw error
    }
  })
}

/** `pgtestbed status`: every migration file as applied (with goose's ANSIC time), pending or missing. */
export function runStatus(
  settings: CliSettings,
  flags: MigrateFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  return withTarget(settings, flags, output, env, false, async (set, target) => {
    const status = await getMigrationStatus(target.client, set)
    output.print(`pgtestbed: status of ${target.label} (${set.format}, ${status.versionTable})`)
    output.print(formatMigrationStatus(status, { dir: set.dir }))
    if (status.missing.length > 0) {
      const them = status.missing.length === 1 ? 'it' : 'them'
      const policy =
        versionTableDriver(set.format).missingPolicy(set) === 'refuse'
          ? `\`pgtestbed up\` refuses ${them} unless --allow-missing (as ${set.format} does)`
          : `\`pgtestbed up\` applies ${them} first (as ${set.format} does)`
      output.print(
        output.colors.yellow(
          `\n    ${plural(status.missing.length, 'migration')} missing (out of order): ${policy}`,
        ),
      )
    }
    if (!flags.check) return EXIT_OK
    if (status.dirty) {
      // Not "pending": the tool refuses to go on until someone clears the failed run.
      output.note(
        `pgtestbed: ${target.label} is dirty: a migration run failed part-way (status --check exits ${EXIT_FAILED})`,
      )
      return EXIT_FAILED
    }
    const pending = status.pending.length + status.missing.length
    if (pending === 0) return EXIT_OK
    output.note(
      `pgtestbed: ${target.label} is not up to date: ${plural(pending, 'migration')} to apply (status --check exits ${EXIT_PENDING})`,
    )
    return EXIT_PENDING
  })
}

/** `pgtestbed version`: the current version as the tool defines it (`pgtestbed: version 3`). */
export function runVersion(
  settings: CliSettings,
  flags: MigrateFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  return withTarget(settings, flags, output, env, false, async (set, target) => {
    const status = await getMigrationStatus(target.client, set)
    output.print(
      `pgtestbed: version ${status.currentVersion ?? 'none'}${status.dirty ? ' (dirty)' : ''}`,
    )
    return EXIT_OK
  })
}
