import type { AlterTableCmd, Node } from 'libpg-query'
import { nodeAs, rangeVarName, type QualifiedName } from './ast.js'

/** One sub-command of `ALTER TABLE`, with the table it changes. */
export interface TableCommand {
  table: QualifiedName
  cmd: AlterTableCmd
}

/**
 * The sub-commands of an `ALTER TABLE` on a table (not an index, view or sequence); empty for
 * any other command.
 *
 * @example
 * alterTableCommands(parse('ALTER TABLE t ADD COLUMN a int, DROP COLUMN b')) // 2 commands on t
 */
export function alterTableCommands(node: Node): TableCommand[] {
  const alter = nodeAs(node, 'AlterTableStmt')
  if (alter?.objtype !== 'OBJECT_TABLE') return []
  const table = rangeVarName(alter.relation)
  if (!table) return []
  const out: TableCommand[] = []
  for (const item of alter.cmds ?? []) {
    const cmd = nodeAs(item, 'AlterTableCmd')
    if (cmd) out.push({ table, cmd })
  }
  return out
}
