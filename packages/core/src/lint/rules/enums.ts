import type { AlterTableCmd } from 'libpg-query'
import { alterTableCommands } from '../alter-table.js'
import {
  castsThroughText,
  listName,
  nodeAs,
  showName,
  stringList,
  walk,
  type QualifiedName,
} from '../ast.js'
import type { CommandContext, Finding } from '../context.js'

/**
 * Enum changes that break: RENAME VALUE (LINT_ENUM_RENAME_VALUE), a recreated enum missing labels
 * of the type it replaces (LINT_ENUM_VALUE_REMOVED), a column changed to an enum without a text
 * cast (LINT_ENUM_CAST_WITHOUT_TEXT), and a label used in the transaction that added it
 * (LINT_ENUM_VALUE_USED_IN_TRANSACTION).
 */
export function checkEnums(context: CommandContext): Finding[] {
  const findings: Finding[] = []
  const alterEnum = nodeAs(context.node, 'AlterEnumStmt')
  const typeName = alterEnum ? listName(stringList(alterEnum.typeName)) : undefined
  if (alterEnum?.oldVal !== undefined && typeName) {
    const known = context.model.enumType(typeName)
    if (known?.createdIn !== context.migration.index) {
      findings.push({
        code: 'LINT_ENUM_RENAME_VALUE',
        message: `ALTER TYPE ${showName(typeName)} RENAME VALUE '${alterEnum.oldVal}' TO '${alterEnum.newVal}' breaks deployed code and queries that still use '${alterEnum.oldVal}'`,
        fix: `add '${alterEnum.newVal}' with ADD VALUE, move rows and code to it, and stop using '${alterEnum.oldVal}' (or deploy code that accepts both labels before renaming)`,
      })
    }
  }

  const createEnum = nodeAs(context.node, 'CreateEnumStmt')
  const created = createEnum ? listName(stringList(createEnum.typeName)) : undefined
  const replaced = created ? replacedEnum(context, created) : undefined
  if (createEnum && created && replaced) {
    const labels = new Set((createEnum.vals ?? []).flatMap((v) => nodeAs(v, 'String')?.sval ?? []))
    // Labels an earlier UPDATE or DELETE of this migration moved every row off are safe to drop.
    // (The live type: `replaced` is a copy taken at the rename, which may precede the UPDATE.)
    const moved = (context.model.enumType(replaced.name) ?? replaced).vacated
    const vacated = moved?.migration === context.migration.index ? moved.labels : undefined
    const removed = replaced.labels.filter((label) => !labels.has(label) && !vacated?.has(label))
    if (removed.length > 0) {
      const list = removed.map((l) => `'${l}'`).join(', ')
      findings.push({
        code: 'LINT_ENUM_VALUE_REMOVED',
        message: `CREATE TYPE ${showName(created)} replaces the enum now named ${showName(replaced.name)} without ${list}: converting a column fails on any row that holds ${removed.length === 1 ? 'it' : 'one of them'}`,
        fix: `before the CREATE TYPE, move every row off them to a kept label in this migration (UPDATE <table> SET <column> = '<kept label>' WHERE <column> IN (${list}))`,
      })
    }
  }

  for (const { table, cmd } of alterTableCommands(context.node)) {
    const finding = enumCastFinding(context, table, cmd)
    if (finding) findings.push(finding)
  }

  const used =
    context.pending.length > 0 && !context.reportedByDiscovery('ENUM_VALUE_IN_TRANSACTION')
      ? usedLabels(context)
      : []
  for (const pending of used) {
    findings.push({
      code: 'LINT_ENUM_VALUE_USED_IN_TRANSACTION',
      message: `'${pending.label}' is used here, but it was added to enum ${pending.type} (${pending.where}) in the same transaction: PostgreSQL fails with 55P04 "unsafe use of new value" until that transaction commits`,
      fix: useLaterFix(context),
      related: [pending.location],
    })
  }
  return findings
}

/**
 * The finding for `ALTER COLUMN … TYPE <enum>` that PostgreSQL rejects: no USING at all (no
 * automatic cast to an enum exists), or a USING that casts one enum type straight to another.
 */
export function enumCastFinding(
  context: CommandContext,
  table: QualifiedName,
  cmd: AlterTableCmd,
): Finding | undefined {
  if (cmd.subtype !== 'AT_AlterColumnType' || !cmd.name) return undefined
  const column = nodeAs(cmd.def, 'ColumnDef')
  const target = context.model.typeKey(column?.typeName)
  const targetEnum = context.model.enumType(targetName(target))
  if (!targetEnum || !target) return undefined
  const from = context.model.table(table)?.columns.get(cmd.name)
  if (from === target) return undefined
  const where = `${showName(table)}.${cmd.name}`
  const type = showName(targetEnum.name)
  const fix = `cast through text: ALTER COLUMN ${cmd.name} TYPE ${type} USING ${cmd.name}::text::${type}`
  if (!column?.raw_default) {
    return {
      code: 'LINT_ENUM_CAST_WITHOUT_TEXT',
      message: `ALTER COLUMN ${where} TYPE ${type} has no USING: PostgreSQL has no automatic cast to an enum and fails with "column "${cmd.name}" cannot be cast automatically to type ${type}"`,
      fix,
    }
  }
  const fromEnum = context.model.enumType(targetName(from))
  if (!fromEnum || castsThroughText(column.raw_default)) return undefined
  return {
    code: 'LINT_ENUM_CAST_WITHOUT_TEXT',
    message: `ALTER COLUMN ${where} TYPE ${type} casts enum ${showName(fromEnum.name)} straight to enum ${type}: PostgreSQL fails with "cannot cast type ${showName(fromEnum.name)} to ${type}"`,
    fix,
  }
}

function targetName(key: string | undefined): QualifiedName | undefined {
  if (!key) return undefined
  const dot = key.indexOf('.')
  return { schema: key.slice(0, dot), name: key.slice(dot + 1) }
}

/** The enum that `created` replaces: one renamed away from that name earlier in this migration. */
function replacedEnum(context: CommandContext, created: QualifiedName) {
  const key = `${created.schema ?? 'public'}.${created.name}`
  return context.model.renamedEnums.get(key)
}

/** Pending labels that appear as string constants in this command. */
function usedLabels(context: CommandContext) {
  const strings = new Set<string>()
  walk(context.node, (value) => {
    const constant = nodeAs(value, 'A_Const')
    if (constant?.sval?.sval !== undefined) strings.add(constant.sval.sval)
  })
  return context.pending.filter((p) => strings.has(p.label))
}

function useLaterFix(context: CommandContext): string {
  switch (context.format) {
    case 'goose':
      return context.transaction === 'query-string'
        ? 'end the ALTER TYPE … ADD VALUE line with `;` so it is a statement (a query string) of its own and commits before the label is used'
        : 'use the label in a later migration, or mark this one `-- +goose NO TRANSACTION` with the ADD VALUE in a statement of its own'
    case 'dbmate':
      return 'use the label in a later migration (dbmate sends a section as one query string, one transaction)'
    case 'golang-migrate':
      return 'use the label in a later migration file (golang-migrate sends a file as one query string, one transaction)'
    case 'drizzle':
      return 'drizzle-kit applies all pending migrations in one transaction, so SQL migrations applied in the same run cannot use the label: set it from application code, or release the ADD VALUE and its use in separate deploys'
    case 'prisma':
      return 'use the label in a later migration (Prisma sends a migration.sql as one query string, one transaction)'
    case 'node-pg-migrate':
      return "use the label in a later migration, applied in a later run: node-pg-migrate's CLI applies all pending migrations in one transaction (unless --no-single-transaction)"
  }
}
