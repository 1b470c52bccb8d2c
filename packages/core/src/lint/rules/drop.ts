import { alterTableCommands } from '../alter-table.js'
import { nodeAs, objectName, showName } from '../ast.js'
import { isExisting, type CommandContext, type Finding } from '../context.js'

/**
 * DROP TABLE / DROP INDEX without IF EXISTS (LINT_DROP_WITHOUT_IF_EXISTS), dropping an existing
 * table (LINT_DROP_TABLE) or column (LINT_DROP_COLUMN). Objects created in the same migration
 * are exempt: dropping them loses nothing and they surely exist.
 */
export function checkDrops(context: CommandContext): Finding[] {
  const findings: Finding[] = []
  const drop = nodeAs(context.node, 'DropStmt')
  if (drop && (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_INDEX')) {
    const kind = drop.removeType === 'OBJECT_TABLE' ? 'TABLE' : 'INDEX'
    for (const object of drop.objects ?? []) {
      const name = objectName(object)
      if (!name) continue
      const shown = showName(name)
      const createdHere =
        kind === 'TABLE'
          ? context.model.isNewTable(name, context.migration.index)
          : context.model.index(name)?.createdIn === context.migration.index
      if (createdHere) continue
      if (!drop.missing_ok) {
        findings.push({
          code: 'LINT_DROP_WITHOUT_IF_EXISTS',
          message: `DROP ${kind} ${shown} has no IF EXISTS: the migration fails wherever ${shown} is already gone`,
          fix: `write DROP ${kind} IF EXISTS ${shown}`,
        })
      }
      if (kind === 'TABLE') {
        findings.push({
          code: 'LINT_DROP_TABLE',
          message: `DROP TABLE ${shown} deletes an existing table and every row in it`,
          fix: `first make sure no deployed code uses ${shown} and its data is kept elsewhere if needed, then mark it reviewed: -- pgtestbed-lint-ignore LINT_DROP_TABLE: <why>`,
        })
      }
    }
  }
  for (const { table, cmd } of alterTableCommands(context.node)) {
    if (cmd.subtype !== 'AT_DropColumn' || !cmd.name) continue
    if (!isExisting(context, table)) continue
    const column = `${showName(table)}.${cmd.name}`
    findings.push({
      code: 'LINT_DROP_COLUMN',
      message: `DROP COLUMN ${column} deletes the column and its data; deployed code that still reads or writes it fails`,
      fix: `deploy code that no longer uses ${column} first, then drop it and mark it reviewed: -- pgtestbed-lint-ignore LINT_DROP_COLUMN: <why>`,
    })
  }
  return findings
}
