import { displayPath } from '../diagnostics.js'
import type { PgtestbedError } from '../errors.js'
import { MigrationApplyError } from '../migrations/database/apply-errors.js'
import { getMigrationStatus, type MigrationStatus } from '../migrations/database/status.js'
import type { Migration, MigrationSet } from '../migrations/types.js'
import type { Output } from './output.js'
import type { Target } from './target.js'

function previousVersion(set: MigrationSet, migration: Migration): string {
  const index = set.migrations.indexOf(migration)
  return index > 0 ? (set.migrations[index - 1]?.version ?? '-1') : '-1'
}

/**
 * After a failed `up` or `down`: the failure (file, line, statement, PostgreSQL's error, what ran
 * before it), then the database's state read back from the version table, so the user knows what
 * to do next without opening psql. For golang-migrate that includes the dirty flag, which blocks
 * every later run, and the `migrate force` command that clears it.
 */
export async function printFailureState(
  error: PgtestbedError,
  set: MigrationSet,
  target: Target,
  output: Output,
): Promise<void> {
  const c = output.errColors
  output.note(`${c.red(`pgtestbed: ${error.code}`)} ${error.message}`)
  let status: MigrationStatus | undefined
  try {
    status = await getMigrationStatus(target.client, set)
  } catch (cause) {
    output.note(`state of ${target.label}: could not be read back (${(cause as Error).message})`)
  }
  if (status) {
    const pending = status.pending.length + status.missing.length
    const counts = status.dirty
      ? `its migration failed part-way`
      : `${status.applied.length} applied, ${pending} not applied`
    output.note(
      `state of ${target.label} now: current version ${status.currentVersion ?? 'none'}${status.dirty ? c.red(' (dirty)') : ''}; ${counts} (${status.versionTable})`,
    )
  }
  const failed = error instanceof MigrationApplyError ? error.migration : undefined
  if (set.format === 'golang-migrate' && status?.dirty && failed) {
    const previous = previousVersion(set, failed)
    const down = error instanceof MigrationApplyError && error.direction === 'down'
    output.note(
      [
        `${c.yellow('dirty:')} ${status.versionTable} marks version ${status.currentVersion} dirty, so golang-migrate and pgtestbed refuse to run until it is cleared.`,
        `  golang-migrate sends ${displayPath(error instanceof MigrationApplyError ? error.file : failed.up.file)} as one query, which PostgreSQL runs as one implicit transaction: unless the file commits on its own, none of it was kept.`,
        `  1. fix the file;`,
        `  2. clear the flag: migrate -path ${displayPath(set.dir)} -database "$PGTESTBED_URL" force ${down ? failed.version : previous}`,
        `     (or force ${status.currentVersion} if you finished the ${down ? 'rollback' : 'migration'} by hand);`,
        `  3. run pgtestbed ${down ? 'down' : 'up'} again.`,
      ].join('\n'),
    )
  } else if (error.fix) {
    output.note(`${c.cyan('fix:')} ${error.fix}`)
  }
}
