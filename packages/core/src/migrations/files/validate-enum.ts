import path from 'node:path'
import type { Diagnostic } from '../../diagnostics.js'
import type { SqlCommand } from './non-transactional.js'
import type { MigrationSection, MigrationSet, Statement } from '../types.js'
import { type StatementScanner, commandLine } from './validate-transactions.js'

interface Located {
  command: SqlCommand
  statement: Statement
  file: string
}

/** `ALTER TYPE x ADD VALUE [IF NOT EXISTS] 'v'` → the type's last name part and the label. */
function addedValue(tokens: readonly string[]): { type: string; label: string } | null {
  if (tokens[0] !== 'ALTER' || tokens[1] !== 'TYPE') return null
  const add = tokens.indexOf('ADD', 2)
  if (add < 0 || tokens[add + 1] !== 'VALUE') return null
  let at = add + 2
  if (tokens[at] === 'IF') at += 3
  const label = tokens[at]
  if (!label?.startsWith("'")) return null
  return { type: typeName(tokens.slice(2, add)), label: label.slice(1) }
}

function typeName(parts: readonly string[]): string {
  const last = parts[parts.length - 1] ?? ''
  return last.startsWith('"') ? last.slice(1) : last.toLowerCase()
}

/**
 * Commands whose string literals are never enum values: `ALTER TYPE` (the label being added or
 * renamed), `CREATE TYPE` (the labels of another enum) and `COMMENT ON` (free text).
 */
function cannotUseLabel(tokens: readonly string[]): boolean {
  return (
    ((tokens[0] === 'ALTER' || tokens[0] === 'CREATE') && tokens[1] === 'TYPE') ||
    tokens[0] === 'COMMENT'
  )
}

/**
 * Within one transaction, a value added with `ALTER TYPE … ADD VALUE` cannot be used before the
 * transaction commits (PostgreSQL 12+: 55P04 "unsafe use of new value"). That holds also when the
 * enum itself was created in the same transaction: only the labels listed in its `CREATE TYPE`
 * are usable at once (the "created in the same transaction" exception of PostgreSQL 11 and
 * earlier was about running ADD VALUE in a transaction block at all, not about using the value).
 * A "use" is a later string literal equal to the new label, outside the commands of
 * {@link cannotUseLabel}.
 */
function checkScope(scope: readonly Located[], set: MigrationSet, why: string, out: Diagnostic[]) {
  if (scope.length === 0) return
  const added = new Map<string, { type: string; at: Located }>()
  for (const item of scope) {
    const { tokens } = item.command
    const value = addedValue(tokens)
    if (value && !added.has(value.label)) added.set(value.label, { type: value.type, at: item })
    if (added.size === 0 || cannotUseLabel(tokens)) continue
    for (const token of tokens) {
      if (!token.startsWith("'")) continue
      const label = token.slice(1)
      const source = added.get(label)
      if (!source) continue
      added.delete(label)
      const addLine = commandLine(source.at.statement, source.at.command.lineOffset)
      const addName = path.relative(set.dir, source.at.file).split(path.sep).join('/')
      out.push({
        severity: 'error',
        code: 'ENUM_VALUE_IN_TRANSACTION',
        message: `'${label}' is added to enum ${source.type} (${addName}:${addLine}) and used here in the same transaction (${why}); PostgreSQL fails with "unsafe use of new value '${label}' of enum type ${source.type}" (SQLSTATE 55P04)`,
        file: item.file,
        line: commandLine(item.statement, item.command.lineOffset),
        related: [{ file: source.at.file, line: addLine }],
        fix:
          set.format === 'drizzle'
            ? 'drizzle-kit applies all pending migrations in one transaction, so a fresh database always hits this: do not use the new value in migration SQL (set it from application code), or recreate the enum type instead of adding a value'
            : set.format === 'node-pg-migrate' && source.at.file !== item.file
              ? "node-pg-migrate's CLI applies all pending migrations in one transaction, so a fresh database hits this: run node-pg-migrate with --no-single-transaction, or do not use the new value in a migration applied in the same run"
              : 'move the `ALTER TYPE … ADD VALUE` into an earlier migration of its own, so it is committed before the value is used',
      })
    }
  }
}

const ADDS_VALUE = /add\s+value/i

/**
 * Tools that apply every pending migration in one transaction by default: drizzle-orm's migrator,
 * and node-pg-migrate's CLI (`--single-transaction` defaults to true). A fresh database then
 * meets all Up sections in one transaction, whatever pgtestbed does.
 */
const ONE_TRANSACTION_FOR_ALL: Partial<Record<MigrationSet['format'], string>> = {
  drizzle: 'drizzle-kit applies all pending migrations in one transaction',
  'node-pg-migrate': "node-pg-migrate's CLI applies all pending migrations in one transaction",
}

function sectionCommands(section: MigrationSection, scan: StatementScanner): Located[] {
  return section.statements.flatMap((statement) =>
    scan(statement).commands.map((command) => ({ command, statement, file: section.file })),
  )
}

/**
 * ENUM_VALUE_IN_TRANSACTION (error: the statement always fails with 55P04 on PostgreSQL 12+): a
 * new enum value used in the transaction that added it.
 * Transactions are modelled per format: a transactional section is one; a non-transactional
 * section's statements are one each (a multi-command string is an implicit transaction); drizzle
 * and node-pg-migrate's CLI run all pending migrations in one, so the whole Up chain is one scope.
 *
 * @example
 * checkEnumValues(set, createScanner()) // [{ code: 'ENUM_VALUE_IN_TRANSACTION', severity: 'error', ... }]
 */
export function checkEnumValues(set: MigrationSet, scan: StatementScanner): Diagnostic[] {
  const out: Diagnostic[] = []
  const addsValue = (section: MigrationSection | null) =>
    section?.statements.some((s) => ADDS_VALUE.test(s.sql)) ?? false
  const oneTransaction = ONE_TRANSACTION_FOR_ALL[set.format]
  if (oneTransaction) {
    if (!set.migrations.some((m) => addsValue(m.up))) return out
    const scope = set.migrations.flatMap((m) => sectionCommands(m.up, scan))
    checkScope(scope, set, oneTransaction, out)
    return out
  }
  for (const migration of set.migrations) {
    for (const section of [migration.up, migration.down]) {
      if (!section || !addsValue(section)) continue
      if (section.transaction) {
        checkScope(
          sectionCommands(section, scan),
          set,
          'the migration runs in one transaction',
          out,
        )
        continue
      }
      for (const statement of section.statements) {
        if (!ADDS_VALUE.test(statement.sql)) continue
        const scope = scan(statement).commands.map((command) => ({
          command,
          statement,
          file: section.file,
        }))
        checkScope(scope, set, 'one query string is one implicit transaction', out)
      }
    }
  }
  return out
}
