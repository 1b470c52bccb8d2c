import path from 'node:path'
import type { Diagnostic } from '../../diagnostics.js'
import {
  type NonTransactionalScan,
  findNonTransactional,
  transactionControl,
} from './non-transactional.js'
import { leadingNewlines } from './formats/file-names.js'
import { statementFileLine } from './sqlparser/goose.js'
import type {
  Migration,
  MigrationFormat,
  MigrationSection,
  MigrationSet,
  Statement,
} from '../types.js'
import { plural } from '../../internal/plural.js'

/** Scans statements once however many rules look at them. */
export type StatementScanner = (statement: Statement) => NonTransactionalScan

/** A scanner with a per-statement cache. */
export function createScanner(): StatementScanner {
  const cache = new WeakMap<Statement, NonTransactionalScan>()
  return (statement) => {
    let scan = cache.get(statement)
    if (!scan) {
      scan = findNonTransactional(statement.sql)
      cache.set(statement, scan)
    }
    return scan
  }
}

/**
 * The file line of a command. `Statement.line` is the statement's first non-blank line, and its
 * text may start with blank lines (drizzle and golang-migrate keep them), which `lineOffset` counts.
 */
export function commandLine(statement: Statement, lineOffset: number): number {
  // goose statements may also list annotation lines dropped from inside them (`omittedLines`).
  return statementFileLine(statement, Math.max(0, lineOffset - leadingNewlines(statement.sql)))
}

const TOOL: Record<MigrationFormat, string> = {
  goose: 'goose',
  'golang-migrate': 'golang-migrate',
  drizzle: 'drizzle-kit',
  dbmate: 'dbmate',
  prisma: 'Prisma',
  'node-pg-migrate': 'node-pg-migrate',
}

type Direction = 'Up' | 'Down'

function inTransactionFix(format: MigrationFormat, direction: Direction): string {
  switch (format) {
    case 'goose':
      return 'move it into a migration of its own that starts with `-- +goose NO TRANSACTION` (the annotation switches off the transaction for the whole file, both directions)'
    case 'dbmate':
      return `write the block's directive as \`-- migrate:${direction.toLowerCase()} transaction:false\` and keep this statement alone in the block (dbmate sends a block as one query string), or move it into a migration of its own`
    case 'drizzle':
      return 'drizzle-kit runs every pending migration in one transaction and has no way to opt out: remove it from the drizzle migration (e.g. use plain `CREATE INDEX` without CONCURRENTLY) and run the concurrent form outside drizzle'
    case 'golang-migrate':
    case 'prisma':
      return 'put it alone in a migration file of its own'
    case 'node-pg-migrate':
      return 'node-pg-migrate runs every SQL migration in a transaction: write this migration in JavaScript with `pgm.noTransaction()` and let node-pg-migrate build the template (the `migrate: { command }` recipe), or run the statement outside node-pg-migrate'
  }
}

function sharedStringFix(format: MigrationFormat, direction: Direction): string {
  switch (format) {
    case 'goose':
      return 'make it a statement of its own: end it with `;` at the end of its line, outside any StatementBegin/StatementEnd block, with no other command on that line'
    case 'dbmate':
      return `dbmate sends a whole block as one query string: move it into a migration of its own whose block holds only this statement, under \`-- migrate:${direction.toLowerCase()} transaction:false\``
    case 'golang-migrate':
      return `golang-migrate sends the whole file as one query string: move it into a migration file of its own (\`<version>_<name>.${direction.toLowerCase()}.sql\`) that holds only this statement`
    case 'prisma':
      return 'Prisma sends the whole migration.sql as one query string: move it into a migration of its own (`prisma migrate dev --create-only`) that holds only this statement'
    case 'drizzle':
    case 'node-pg-migrate':
      return inTransactionFix(format, direction)
  }
}

interface Place {
  set: MigrationSet
  migration: Migration
  section: MigrationSection
  direction: Direction
}

const relative = (set: MigrationSet, file: string) =>
  path.relative(set.dir, file).split(path.sep).join('/')

function checkSection(place: Place, scan: StatementScanner, out: Diagnostic[]): void {
  const { set, section, direction, migration } = place
  const tool = TOOL[migration.format]
  let openedAt: number | null = null
  for (const statement of section.statements) {
    const scanned = scan(statement)
    for (const hit of scanned.found) {
      const name = relative(set, section.file)
      const commands = scanned.commands
      const line = commandLine(statement, hit.lineOffset)
      const diagnostic = (message: string, fix: string) =>
        out.push({
          severity: 'error',
          code: 'NON_TRANSACTIONAL_IN_TRANSACTION',
          message,
          file: section.file,
          line,
          fix,
        })
      if (section.transaction) {
        diagnostic(
          `${hit.label} cannot run inside a transaction block, but ${tool} runs the ${direction} section of ${name} in a transaction; it fails with "cannot run inside a transaction block" (SQLSTATE 25001)`,
          inTransactionFix(migration.format, direction),
        )
      } else if (commands.length > 1) {
        diagnostic(
          `${hit.label} in the ${direction} section of ${name} is sent in one query string with ${plural(commands.length - 1, 'other command')}; PostgreSQL runs such a string as one implicit transaction, so it fails with SQLSTATE 25001 even though ${tool} adds no BEGIN`,
          sharedStringFix(migration.format, direction),
        )
      } else if (openedAt !== null) {
        diagnostic(
          `${hit.label} in the ${direction} section of ${name} runs inside the transaction opened on line ${openedAt}; it fails with SQLSTATE 25001`,
          'end the transaction before this statement (or remove the BEGIN … COMMIT around it)',
        )
      }
    }
    if (section.transaction) continue
    for (const command of scanned.commands) {
      const control = transactionControl(command.tokens)
      if (control === 'begin') openedAt = commandLine(statement, command.lineOffset)
      else if (control === 'end') openedAt = null
    }
  }
}

/**
 * NON_TRANSACTIONAL_IN_TRANSACTION: statements PostgreSQL refuses inside a transaction block
 * (§7.2) in a section the tool runs in a transaction, or sharing one query string with other
 * commands (an implicit transaction, §7.1), or after an explicit `BEGIN`. Both directions.
 *
 * @example
 * checkNonTransactional(set, createScanner()) // [{ code: 'NON_TRANSACTIONAL_IN_TRANSACTION', line: 3, ... }]
 */
export function checkNonTransactional(set: MigrationSet, scan: StatementScanner): Diagnostic[] {
  const out: Diagnostic[] = []
  for (const migration of set.migrations) {
    checkSection({ set, migration, section: migration.up, direction: 'Up' }, scan, out)
    if (migration.down) {
      checkSection({ set, migration, section: migration.down, direction: 'Down' }, scan, out)
    }
  }
  return out
}
