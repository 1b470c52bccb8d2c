import path from 'node:path'
import { type Diagnostic, displayPath } from '../../diagnostics.js'
import { checkEnumValues } from './validate-enum.js'
import { checkStrayFiles } from './validate-stray.js'
import { checkNonTransactional, createScanner } from './validate-transactions.js'
import type { Migration, MigrationFormat, MigrationSet } from '../types.js'

/** Sequential versions at or above this are dates or Unix times, where gaps are normal. */
const COUNTER_LIMIT = 1_000_000n

/**
 * goose's definition of a timestamp version (`fix.go`): its decimal form parses with the Go
 * layout `20060102150405` (exactly 14 digits, a real calendar date and time) and is after the
 * Unix epoch. Every other version is sequential.
 *
 * @example
 * isTimestampVersion(20240131235959n) // true
 * isTimestampVersion(20240230000000n) // false (30 February)
 * isTimestampVersion(42n) // false
 */
export function isTimestampVersion(version: bigint): boolean {
  const text = version.toString()
  if (!/^\d{14}$/.test(text)) return false
  const part = (from: number, to: number) => Number(text.slice(from, to))
  const [year, month, day] = [part(0, 4), part(4, 6), part(6, 8)]
  const [hour, minute, second] = [part(8, 10), part(10, 12), part(12, 14)]
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false
  const date = new Date(0)
  date.setUTCFullYear(year, month, 0)
  if (day > date.getUTCDate()) return false
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second)
  return date.getTime() > 0
}

const name = (set: MigrationSet, m: Migration) =>
  path.relative(set.dir, m.up.file).split(path.sep).join('/')

const numbered = (set: MigrationSet) =>
  set.migrations.filter(
    (m): m is Migration & { versionNumber: bigint } => m.versionNumber !== undefined,
  )

/** How many file names a MIXED_VERSIONING message lists per scheme. */
const LISTED = 3

/** `a.sql, b.sql, c.sql and 4 more`: the first few names of a list. */
function firstFew(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ')
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more` : shown
}

/**
 * What `goose fix` would rename: timestamped files in version order get the next sequential
 * versions after the highest one, zero-padded to 5 digits (`%05v`), in place of their version digits.
 */
function gooseFixRenames(
  set: MigrationSet,
  sequential: readonly { versionNumber: bigint }[],
  timestamps: readonly (Migration & { versionNumber: bigint })[],
): string[] {
  // biome-ignore lint/complexity/useMathMinMax: versions are bigints, which Math.max does not take
  let next = sequential.reduce((max, m) => (m.versionNumber > max ? m.versionNumber : max), 0n) + 1n
  return [...timestamps]
    .sort((a, b) => (a.versionNumber < b.versionNumber ? -1 : 1))
    .map((m) => {
      const from = name(set, m)
      const to = from.replace(m.versionNumber.toString(), String(next++).padStart(5, '0'))
      return `${from} → ${to}`
    })
}

function mixedVersioning(set: MigrationSet): Diagnostic[] {
  const all = numbered(set)
  const timestamps = all.filter((m) => isTimestampVersion(m.versionNumber))
  const sequential = all.filter((m) => !isTimestampVersion(m.versionNumber))
  if (timestamps.length === 0 || sequential.length === 0) return []
  const [minority, majority] =
    timestamps.length <= sequential.length ? [timestamps, sequential] : [sequential, timestamps]
  const first = minority[0]!
  const kinds = (list: typeof all, kind: string) =>
    `${list.length} ${kind} (${firstFew(list.map((m) => name(set, m)))})`
  const fixes: Record<MigrationFormat, () => string> = {
    // goose's "hybrid versioning": timestamps while developing, `goose fix` renumbers them in CI
    // before deploy. pgtestbed reads the folder as it is, so the renumbering must come first.
    goose: () =>
      `run \`goose -dir ${displayPath(set.dir)} fix\` to renumber the timestamped files (${firstFew(gooseFixRenames(set, sequential, timestamps))}) and create new migrations with \`goose create -s\`, so every version stays sequential; with goose's hybrid versioning (timestamps while developing, \`goose fix\` in CI before deploy) run \`goose fix\` before pgtestbed too, since pgtestbed checks the files as they are. Renumber only files no shared database has applied yet: goose fix does not change goose_db_version`,
    'golang-migrate': () =>
      'rename the files so all versions use one scheme, and create new ones the same way (`migrate create -seq` for sequential, the default for timestamps); renumber only files no shared database has applied yet',
    dbmate: () =>
      'rename the files so all versions use one scheme (`dbmate new` writes timestamps); renumber only files no shared database has applied yet',
    drizzle: () => 'rename the files so all versions use one scheme',
    prisma: () => 'rename the folders so all use one scheme',
    'node-pg-migrate': () =>
      'rename the files so all prefixes use one scheme (`node-pg-migrate create` keeps to the configured --migration-filename-format); renumber only files no shared database has applied yet',
  }
  return [
    {
      severity: 'error',
      code: 'MIXED_VERSIONING',
      message: `migrations mix sequential and timestamp versions: ${kinds(sequential, 'sequential')} and ${kinds(timestamps, 'timestamp (YYYYMMDDhhmmss)')}; a timestamp sorts after every sequential number, so new sequential files run after older timestamped ones`,
      file: first.up.file,
      line: 1,
      related: [majority[0]!, ...minority.slice(1)].map((m) => ({ file: m.up.file })),
      fix: fixes[set.format](),
    },
  ]
}

const GAP_RISK: Record<MigrationFormat, string> = {
  goose:
    'a file numbered in the gap and added later is refused by goose on databases already past it ("found N missing migrations") unless goose runs with -allow-missing',
  'golang-migrate':
    'a file numbered in the gap and added later is never applied by golang-migrate on databases already past it',
  dbmate:
    'a file numbered in the gap and added later is applied out of order by dbmate (or refused with --strict)',
  drizzle: '',
  prisma: '',
  'node-pg-migrate':
    'a file numbered in the gap and added later is refused by node-pg-migrate on databases already past it ("Not run migration … is preceding already run migration …") unless it runs with --no-check-order',
}

function versionGaps(set: MigrationSet): Diagnostic[] {
  const sequential = numbered(set).filter((m) => !isTimestampVersion(m.versionNumber))
  if (sequential.some((m) => m.versionNumber >= COUNTER_LIMIT)) return []
  const sorted = [...sequential].sort((a, b) => (a.versionNumber < b.versionNumber ? -1 : 1))
  const out: Diagnostic[] = []
  for (let k = 1; k < sorted.length; k++) {
    const before = sorted[k - 1]!
    const after = sorted[k]!
    if (after.versionNumber - before.versionNumber <= 1n) continue
    const from = before.versionNumber + 1n
    const to = after.versionNumber - 1n
    const missing = from === to ? `version ${from} is` : `versions ${from}–${to} are`
    out.push({
      severity: 'warning',
      code: 'VERSION_GAP',
      message: `${missing} missing between ${name(set, before)} and ${name(set, after)}: ${GAP_RISK[set.format]}`,
      file: after.up.file,
      line: 1,
      related: [{ file: before.up.file }],
      fix: 'if a migration was deleted or renumbered by mistake, restore it; if the gap is intended, nothing needs to change',
    })
  }
  return out
}

/**
 * MISSING_DOWN: no Down section at all. An empty Down section is lint's LINT_EMPTY_DOWN, which a
 * `-- pgtestbed-lint-ignore LINT_EMPTY_DOWN: <why>` comment can silence for a migration that
 * cannot be undone; reporting it here too would say the same thing twice, once unsuppressibly.
 */
function downRules(set: MigrationSet): Diagnostic[] {
  const out: Diagnostic[] = []
  // drizzle and Prisma have no down migrations; dbmate refuses a file without a down block.
  if (set.format === 'drizzle' || set.format === 'dbmate' || set.format === 'prisma') return out
  for (const m of set.migrations) {
    if (m.down) continue
    const file = name(set, m)
    const { message, fix } = missingDownText(set.format, file)
    out.push({ severity: 'warning', code: 'MISSING_DOWN', message, file: m.up.file, fix })
  }
  return out
}

function missingDownText(format: MigrationFormat, file: string): { message: string; fix: string } {
  if (format === 'goose') {
    return {
      message: `${file} has no \`-- +goose Down\` section: rolling it back only deletes its version row and leaves its changes in place`,
      fix: 'add `-- +goose Down` after the Up section, followed by the SQL that undoes it',
    }
  }
  if (format === 'node-pg-migrate') {
    return {
      message: `${file} has no \`-- Down Migration\` section: node-pg-migrate refuses to roll it back ("User has disabled down migration on file")`,
      fix: 'add a line `-- Down Migration` after the Up SQL, followed by the SQL that undoes it',
    }
  }
  return {
    message: `${file} has no down file: rolling it back only changes the recorded version and leaves its changes in place`,
    fix: `add ${file.replace(/\.up\.([^.]*)$/, '.down.$1')} with the SQL that undoes the up file`,
  }
}

/** What {@link validateMigrations} needs besides the set. */
export interface ValidateOptions {
  /** Every file below the migrations folder, relative with `/`, as discovery listed them. */
  entries: readonly string[]
  /** Globs of files and folders that are not migrations and not to be reported (`ignore`). */
  ignore?: readonly string[]
}

/**
 * Cross-format validation, run after a format module loaded the set: MIXED_VERSIONING,
 * VERSION_GAP, MISSING_DOWN, STRAY_FILE, NON_TRANSACTIONAL_IN_TRANSACTION and
 * ENUM_VALUE_IN_TRANSACTION (an empty Down section is lint's LINT_EMPTY_DOWN). Returns new
 * diagnostics; the set is not changed.
 *
 * @example
 * const extra = validateMigrations(set, { entries })
 * if (hasErrors(extra)) console.error(formatDiagnostics(extra))
 */
export function validateMigrations(set: MigrationSet, options: ValidateOptions): Diagnostic[] {
  const scan = createScanner()
  return [
    ...checkStrayFiles(set, options.entries, options.ignore),
    ...mixedVersioning(set),
    ...versionGaps(set),
    ...downRules(set),
    ...checkNonTransactional(set, scan),
    ...checkEnumValues(set, scan),
  ]
}
