import type { Node } from 'libpg-query'
import type { DiagnosticCode, SourceLocation } from '../diagnostics.js'
import type { Migration, MigrationFormat, MigrationSection } from '../migrations/types.js'
import type { QualifiedName } from './ast.js'
import type { SchemaModel } from './schema.js'
import type { LintRuleCode } from './types.js'

/** What a rule found, before severity, location and suppressions are applied. */
export interface Finding {
  code: LintRuleCode
  message: string
  fix: string
  /** Other places involved (where an enum label was added...). */
  related?: SourceLocation[]
}

/** A label added by `ALTER TYPE … ADD VALUE` whose transaction has not committed yet. */
export interface PendingLabel {
  type: string
  label: string
  /** Where it was added, for the message: `<file>:<line>` relative to the migrations folder. */
  where: string
  /** The same place, for the diagnostic's `related`. */
  location: SourceLocation
}

/** State a rule keeps while lint walks one migration's Up section. */
export interface MigrationState {
  /** A `SET lock_timeout` (or `set_config('lock_timeout', …)`) ran earlier in this migration. */
  lockTimeoutSet: boolean
  /** LINT_LOCK_TIMEOUT_MISSING was already reported for this migration (once is enough). */
  lockReported: boolean
}

/** Everything a rule sees about one command. */
export interface CommandContext {
  node: Node
  format: MigrationFormat
  migration: Migration
  section: MigrationSection
  direction: 'up' | 'down'
  /** The schema as it is just before this command (earlier migrations and commands applied). */
  model: SchemaModel
  state: MigrationState
  /** Labels added earlier in the transaction this command runs in. */
  pending: PendingLabel[]
  /**
   * Why this command runs inside a transaction block, or `undefined` when it does not:
   * the tool wraps the migration in one, or the command shares one query string with others.
   */
  transaction: 'migration' | 'query-string' | undefined
  /**
   * True when discovery's cheaper checks already reported `code` on this command's statement
   * (NON_TRANSACTIONAL_IN_TRANSACTION, ENUM_VALUE_IN_TRANSACTION): lint then stays quiet, so one
   * problem is reported once.
   */
  reportedByDiscovery(code: DiagnosticCode): boolean
}

/**
 * True when the table holds data as far as lint can tell: created by an earlier migration, or not
 * by any migration. A table created in the same migration is empty.
 */
export function isExisting(context: CommandContext, name: QualifiedName | undefined): boolean {
  return !context.model.isNewTable(name, context.migration.index)
}

/**
 * How to run a command outside a transaction with this migration tool.
 *
 * @example
 * noTransactionFix('goose') // 'add `-- +goose NO TRANSACTION` to the file, ...'
 */
export function noTransactionFix(format: MigrationFormat): string {
  switch (format) {
    case 'goose':
      return 'add `-- +goose NO TRANSACTION` to the file and keep the command in a statement of its own (a migration file of its own is simplest)'
    case 'dbmate':
      return 'put the command alone in a migration whose section starts `-- migrate:up transaction:false` (dbmate sends a section as one query string)'
    case 'golang-migrate':
      return 'move the command into an .up.sql file of its own with no other command (golang-migrate sends a file as one query string, an implicit transaction)'
    case 'drizzle':
      return 'drizzle-kit runs every pending migration in one transaction, so it cannot run this command: run it outside drizzle-kit migrations'
    case 'prisma':
      return 'put the command alone in a migration of its own (`prisma migrate dev --create-only`): Prisma sends a whole migration.sql as one query string, an implicit transaction'
    case 'node-pg-migrate':
      return 'node-pg-migrate runs every SQL migration in a transaction: write this one in JavaScript with `pgm.noTransaction()` and let node-pg-migrate build the template (the `migrate: { command }` recipe), or run the command outside node-pg-migrate'
  }
}
