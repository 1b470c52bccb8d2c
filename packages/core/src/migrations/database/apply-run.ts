import type pg from 'pg'
import { MigrationApplyError, locateInStatement, postgresErrorFields } from './apply-errors.js'
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
 * and dbmate). Transactional sections send `BEGIN;<first statement>`, then each statement, then
 * `<record>;COMMIT` — one round trip more than the statements alone — so a failure is always
 * pinned to its statement. Non-transactional sections run each statement in autocommit and then
 * the record, also in autocommit. `bookkeeping.before` (golang-migrate's dirty mark) is committed
 * before anything else.
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

async function runBookkeeping(run: SectionRun, sql: string, kept: number): Promise<void> {
  try {
    await run.client.query(sql)
  } catch (error) {
    throw new MigrationApplyError(
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
}
