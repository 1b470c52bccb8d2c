import type { ColumnDef } from 'libpg-query'
import { alterTableCommands } from '../alter-table.js'
import { nodeAs, showName, typeNameOf } from '../ast.js'
import { isExisting, type CommandContext, type Finding } from '../context.js'
import { enumCastFinding } from './enums.js'

/** Types whose columns get a default from a sequence. */
const SERIAL_TYPES = new Set([
  'serial',
  'serial2',
  'serial4',
  'serial8',
  'smallserial',
  'bigserial',
])

/** Internal type names shown the way people write them. */
const TYPE_ALIASES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  bpchar: 'char',
}

/**
 * Column changes that fail or lock on an existing table: ADD COLUMN … NOT NULL without DEFAULT,
 * SET NOT NULL, ALTER COLUMN … TYPE, and FOREIGN KEY / CHECK constraints added without NOT VALID.
 */
export function checkColumns(context: CommandContext): Finding[] {
  const findings: Finding[] = []
  for (const { table, cmd } of alterTableCommands(context.node)) {
    if (!isExisting(context, table)) continue
    const tableName = showName(table)
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        const column = nodeAs(cmd.def, 'ColumnDef')
        if (column?.colname && needsValueButHasNone(column)) {
          const type = typeNameOf(column.typeName)
          findings.push({
            code: 'LINT_NOT_NULL_WITHOUT_DEFAULT',
            message: `ADD COLUMN ${tableName}.${column.colname}${type ? ` ${showType(type.name)}` : ''} NOT NULL has no DEFAULT: it fails with "column "${column.colname}" of relation "${table.name}" contains null values" as soon as ${tableName} has a row (${tableName} existed before this migration)`,
            fix: `give it a DEFAULT (… NOT NULL DEFAULT <value>), or add it nullable, backfill it, and SET NOT NULL in a later migration`,
          })
        }
        break
      }
      case 'AT_SetNotNull': {
        if (!cmd.name) break
        const known = context.model.table(table)
        const proven = [...(known?.notNullChecks.values() ?? [])].some(
          (c) => c.valid && c.column === cmd.name,
        )
        if (proven) break
        const constraint = `${table.name}_${cmd.name}_not_null`
        findings.push({
          code: 'LINT_SET_NOT_NULL',
          message: `ALTER COLUMN ${tableName}.${cmd.name} SET NOT NULL scans all of ${tableName} under an ACCESS EXCLUSIVE lock (reads and writes wait) and fails if any row is NULL`,
          fix: `ADD CONSTRAINT ${constraint} CHECK (${cmd.name} IS NOT NULL) NOT VALID; in a later migration VALIDATE CONSTRAINT ${constraint}, then SET NOT NULL (PostgreSQL 12+ skips the scan) and DROP CONSTRAINT ${constraint}`,
        })
        break
      }
      case 'AT_AlterColumnType': {
        if (!cmd.name || enumCastFinding(context, table, cmd)) break
        const column = nodeAs(cmd.def, 'ColumnDef')
        const to = typeNameOf(column?.typeName)
        const from = context.model.table(table)?.columns.get(cmd.name)
        if (to && !rewrites(from, to.name, column)) break
        findings.push({
          code: 'LINT_ALTER_COLUMN_TYPE',
          message: `ALTER COLUMN ${tableName}.${cmd.name} TYPE ${to ? showType(to.name) : '…'} rewrites ${tableName} and its indexes under an ACCESS EXCLUSIVE lock (reads and writes wait until it is done)`,
          fix: `for a large table add a new column, backfill it in batches and switch code over; for a small one mark it reviewed: -- pgtestbed-lint-ignore LINT_ALTER_COLUMN_TYPE: <why>`,
        })
        break
      }
      case 'AT_AddConstraint': {
        const constraint = nodeAs(cmd.def, 'Constraint')
        if (!constraint || constraint.skip_validation) break
        const kind =
          constraint.contype === 'CONSTR_FOREIGN'
            ? 'FOREIGN KEY'
            : constraint.contype === 'CONSTR_CHECK'
              ? 'CHECK'
              : undefined
        if (!kind) break
        const name = constraint.conname ?? `<${kind.toLowerCase()}>`
        const lock =
          kind === 'CHECK'
            ? 'ACCESS EXCLUSIVE mode (reads and writes wait)'
            : 'SHARE ROW EXCLUSIVE mode (writes wait)'
        findings.push({
          code: 'LINT_CONSTRAINT_WITHOUT_NOT_VALID',
          message: `ADD CONSTRAINT ${name} ${kind} on existing table ${tableName} checks every row while it holds ${tableName} in ${lock}`,
          fix: `add it with NOT VALID, then ALTER TABLE ${tableName} VALIDATE CONSTRAINT ${name} in a later migration (validating does not block writes)`,
        })
        break
      }
      default:
        break
    }
  }
  return findings
}

/** NOT NULL (or PRIMARY KEY) and nothing that fills existing rows: no non-null default, identity, generated expression or serial type. */
function needsValueButHasNone(column: ColumnDef): boolean {
  let required = column.is_not_null === true
  let filled = false
  for (const item of column.constraints ?? []) {
    const c = nodeAs(item, 'Constraint')
    if (c?.contype === 'CONSTR_NOTNULL' || c?.contype === 'CONSTR_PRIMARY') required = true
    if (c?.contype === 'CONSTR_IDENTITY' || c?.contype === 'CONSTR_GENERATED') filled = true
    if (c?.contype === 'CONSTR_DEFAULT' && !nodeAs(c.raw_expr, 'A_Const')?.isnull) filled = true
  }
  if (column.raw_default && !nodeAs(column.raw_default, 'A_Const')?.isnull) filled = true
  if (column.identity || column.generated) filled = true
  const type = typeNameOf(column.typeName)?.name
  if (type && SERIAL_TYPES.has(type)) filled = true
  return required && !filled
}

/**
 * False only for the changes PostgreSQL makes without a rewrite that lint can prove from the
 * migrations: varchar → text, and varchar → varchar without a length.
 */
function rewrites(from: string | undefined, to: string, column: ColumnDef | undefined): boolean {
  const old = from?.slice(from.indexOf('.') + 1)
  if (old !== 'varchar' && old !== 'text') return true
  if (to === 'text') return false
  return !(to === 'varchar' && old === 'varchar' && !column?.typeName?.typmods?.length)
}

function showType(name: string): string {
  return TYPE_ALIASES[name] ?? name
}
