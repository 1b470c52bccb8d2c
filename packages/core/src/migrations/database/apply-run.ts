import type pg from 'pg'
import { MigrationApplyError, locateInStatement, postgresErrorFields } from './apply-errors.js'
import { splitSqlCommands, transactionControl } from '../files/non-transactional.js'
import type { Migration, MigrationFormat, Statement } from '../types.js'
import type { Bookkeeping } from './version-tables/types.js'

/** One direction of one migration, ready to run. */
export interface SectionRun {
  client: pg.ClientBase
  migration: Migration
  /** The migration as messages name it. */
  name: string
  format: MigrationFormat
  direction: 'up' | 'down'
  /** The section's file (absolute). */
  file: string
  statements: readonly Statement[]
  /** Whether to wrap the statements and the record in one transaction. */
  transactional: boolean
  bookkeeping: Bookkeeping
  /** The version table, as displayed. */
  versionTable: string
  /** Migrations completed earlier in this run (for the error). */
  done: readonly Migration[]
  /**
   * The caller holds one transaction for the whole run (the tool's `oneTransactionPerRun`): the
   * section neither opens, commits nor rolls back one of its own.
   */
  inRunTransaction?: boolean
}

// Folded in front of the first statement: it saves a round trip, and BEGIN itself cannot fail,
// so an error in that query is always the statement's. Its length shifts PostgreSQL's position.
const BEGIN = 'BEGIN;'

/**
 * Runs one migration section and its version-table bookkeeping, the way the tool does.
 *
 * Every statement goes through `client.query(text)` with no values: the simple query protocol,
 * where one string may hold several commands (as pgx Exec and lib/pq do for goose, golang-migrate
 * and dbmate). A transactional section goes in one round trip: `BEGIN`, its statements, its
 * record, `COMMIT` (inside a run's transaction: between a savepoint and its release). When that
 * batch fails, the server has rolled all of it back (`ROLLBACK`, or to the savepoint), and the
 * section runs again statement by statement — `BEGIN;<first statement>`, each statement,
 * `<record>;COMMIT` — so the error names its statement, file, line and PostgreSQL's position as
 * if it had been sent alone (see {@link batchOf}). Non-transactional sections run each
 * statement in autocommit and then the record, also in autocommit. `bookkeeping.before`
 * (golang-migrate's dirty mark) is committed before anything else.
 *
 * @throws MigrationApplyError for the first failing statement or bookkeeping query.
 */
export async function runSection(run: SectionRun): Promise<void> {
  const { client, statements, bookkeeping } = run
  if (bookkeeping.before !== undefined) await runBookkeeping(run, bookkeeping.before, 0)
  if (!run.transactional) {
    try {
      for (let i = 0; i < statements.length; i++) await runStatement(run, i, '', i)
    } catch (error) {
      if (bookkeeping.failed) await recordFailure(run, bookkeeping.failed, error)
      throw error
    }
    await runBookkeeping(run, bookkeeping.record, statements.length)
    return
  }
  // A lone record is atomic by itself; no transaction needed around it.
  if (statements.length === 0) return runBookkeeping(run, bookkeeping.record, 0)
  if (batchable(statements) && (await runBatch(run))) {
    if (run.inRunTransaction) await runBookkeeping(run, bookkeeping.record, 0)
    return
  }
  if (run.inRunTransaction) {
    for (let i = 0; i < statements.length; i++) await runStatement(run, i, '', 0)
    return runBookkeeping(run, bookkeeping.record, 0)
  }
  try {
    for (let i = 0; i < statements.length; i++) await runStatement(run, i, i === 0 ? BEGIN : '', 0)
    await runBookkeeping(run, `${bookkeeping.record};COMMIT`, 0)
  } catch (error) {
    // The transaction is aborted (or was never opened when the first query failed to parse);
    // ROLLBACK ends it either way. A dead connection cannot roll back: the server already did.
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

const SAVEPOINT = 'pgtestbed_section'

/**
 * A transactional section as one query string. Statements are joined with `\n;\n`: a statement
 * ending in a `--` comment cannot swallow the separator, and an empty command between two
 * semicolons is nothing to PostgreSQL.
 */
function batchOf(run: SectionRun): string {
  const statements = run.statements.map((s) => s.sql)
  // Inside a run's transaction the record stays a query of its own: it may carry the run's
  // COMMIT, which must not be retried.
  if (run.inRunTransaction) {
    return `SAVEPOINT ${SAVEPOINT};\n${statements.join('\n;\n')}\n;\nRELEASE SAVEPOINT ${SAVEPOINT}`
  }
  return `BEGIN;\n${[...statements, run.bookkeeping.record].join('\n;\n')}\n;\nCOMMIT`
}

/** Words that may start a transaction-control command (checked properly when present). */
const MAY_CONTROL = /\b(?:BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE)\b/i

/**
 * False when a statement controls the transaction itself (`COMMIT`, `SAVEPOINT`, …): sent as one
 * batch, its effect on the batch's own transaction would differ from the statement-by-statement
 * run, so such a section is never batched.
 */
function batchable(statements: readonly Statement[]): boolean {
  return statements.every(
    (statement) =>
      !MAY_CONTROL.test(statement.sql) ||
      splitSqlCommands(statement.sql).every(
        (command) =>
          transactionControl(command.tokens) === null &&
          !['SAVEPOINT', 'RELEASE', 'ROLLBACK'].includes(command.tokens[0] ?? ''),
      ),
  )
}

/**
 * Sends the section in one round trip; true when it was applied. On failure nothing of it is
 * kept (rolled back, or back to the savepoint) and the caller runs it statement by statement to
 * pin the error. A connection that broke cannot be rolled back and fails again right away there.
 */
async function runBatch(run: SectionRun): Promise<boolean> {
  try {
    await run.client.query(batchOf(run))
    return true
  } catch (error) {
    // A session that is gone cannot be asked again: report what ended it.
    if (!isStatementError(error)) throw sectionError(run, error, 0)
    const undo = run.inRunTransaction ? `ROLLBACK TO SAVEPOINT ${SAVEPOINT}` : 'ROLLBACK'
    await run.client.query(undo).catch(() => {})
    // The batch's own savepoint is gone with its RELEASE only on success; drop it now.
    if (run.inRunTransaction)
      await run.client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`).catch(() => {})
    return false
  }
}

/**
 * Records a failed run where the tool does (Prisma's `logs`), worded like Prisma's P3018 report:
 * the migration, the database error code and the error. Best effort: the error being reported
 * matters more than its record.
 */
async function recordFailure(
  run: SectionRun,
  failed: (message: string) => string,
  error: unknown,
): Promise<void> {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error
  const postgres = postgresErrorFields(cause)
  const text = [
    `Migration name: ${run.migration.version}`,
    `Database error code: ${postgres.code ?? 'none'}`,
    `Database error:\n${postgres.severity ?? 'ERROR'}: ${postgres.message}`,
  ].join('\n\n')
  await run.client.query(failed(text)).catch(() => {})
}

async function runStatement(
  run: SectionRun,
  index: number,
  prefix: string,
  kept: number,
): Promise<void> {
  const statement = run.statements[index] as Statement
  try {
    await run.client.query(prefix + statement.sql)
  } catch (error) {
    const postgres = postgresErrorFields(error)
    const where = locateInStatement(statement, postgres.position, prefix.length)
    throw new MigrationApplyError(
      {
        migration: run.migration,
        name: run.name,
        format: run.format,
        direction: run.direction,
        file: run.file,
        statementNumber: index + 1,
        statementLine: where.statementLine,
        errorLine: where.line,
        errorColumn: where.column,
        statement: statement.sql,
        postgres,
        applied: [...run.done],
        transactional: run.transactional,
        statementsKept: kept,
        versionTable: run.versionTable,
        runTransaction: run.inRunTransaction === true,
      },
      { cause: error },
    )
  }
}

/**
 * True for an error PostgreSQL raised for a statement (an SQLSTATE outside the "session ended"
 * classes 08 and 57P), false for a broken or ended session.
 */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  const severity = (error as { severity?: unknown } | null)?.severity
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    !code.startsWith('08') &&
    !code.startsWith('57P') &&
    severity !== 'FATAL' &&
    severity !== 'PANIC'
  )
}

async function runBookkeeping(run: SectionRun, sql: string, kept: number): Promise<void> {
  try {
    await run.client.query(sql)
  } catch (error) {
    throw sectionError(run, error, kept)
  }
}

/** A failure of the section not pinned to one statement (its bookkeeping, its session). */
function sectionError(run: SectionRun, error: unknown, kept: number): MigrationApplyError {
  return new MigrationApplyError(
    {
      migration: run.migration,
      name: run.name,
      format: run.format,
      direction: run.direction,
      file: run.file,
      postgres: postgresErrorFields(error),
      applied: [...run.done],
      transactional: run.transactional,
      statementsKept: kept,
      versionTable: run.versionTable,
      runTransaction: run.inRunTransaction === true,
    },
    { cause: error },
  )
}
