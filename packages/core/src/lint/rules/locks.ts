import type { Node } from 'libpg-query'
import { alterTableCommands } from '../alter-table.js'
import {
  nodeAs,
  objectName,
  rangeVarName,
  showName,
  stringList,
  walk,
  type QualifiedName,
} from '../ast.js'
import { isExisting, type CommandContext, type Finding } from '../context.js'

/**
 * A heavy lock on an existing table with no `SET lock_timeout` earlier in the migration
 * (LINT_LOCK_TIMEOUT_MISSING), reported once per migration, at its first such command.
 * Without a lock timeout, a migration that waits for a lock makes every later query on the table
 * queue behind it: a short lock becomes an outage.
 */
export function checkLocks(context: CommandContext): Finding[] {
  if (setsLockTimeout(context.node)) {
    context.state.lockTimeoutSet = true
    return []
  }
  if (context.state.lockTimeoutSet || context.state.lockReported) return []
  const lock = heavyLock(context)
  if (!lock) return []
  context.state.lockReported = true
  const table = showName(lock.table)
  return [
    {
      code: 'LINT_LOCK_TIMEOUT_MISSING',
      message: `${lock.command} locks existing table ${table} in ${lock.mode}, and this migration sets no lock_timeout before it: while it waits for a long-running query on ${table}, every other query on ${table} queues behind it`,
      fix: `start the migration with SET lock_timeout = '5s'; (SET LOCAL inside a transaction) and retry the deploy if it times out`,
    },
  ]
}

/** True for `SET [LOCAL|SESSION] lock_timeout …` and `SELECT set_config('lock_timeout', …)`. */
function setsLockTimeout(node: Node): boolean {
  const set = nodeAs(node, 'VariableSetStmt')
  if (set) return set.name === 'lock_timeout' && set.kind === 'VAR_SET_VALUE'
  if (!nodeAs(node, 'SelectStmt')) return false
  let found = false
  walk(node, (value) => {
    const call = nodeAs(value, 'FuncCall')
    if (!call || stringList(call.funcname).at(-1) !== 'set_config') return
    if (nodeAs(call.args?.[0], 'A_Const')?.sval?.sval === 'lock_timeout') found = true
  })
  return found
}

interface HeavyLock {
  command: string
  mode: string
  table: QualifiedName
}

/** The command's lock on an existing table when it blocks writes (or reads), else undefined. */
function heavyLock(context: CommandContext): HeavyLock | undefined {
  const { node } = context
  const existing = (table: QualifiedName | undefined): table is QualifiedName =>
    table !== undefined && isExisting(context, table)

  const commands = alterTableCommands(node)
  const first = commands[0]
  if (first && existing(first.table)) {
    const subtypes = new Set(commands.map((c) => c.cmd.subtype))
    // VALIDATE CONSTRAINT and statistics settings take SHARE UPDATE EXCLUSIVE: writes go on.
    const mild = [...subtypes].every(
      (s) => s === 'AT_ValidateConstraint' || s === 'AT_SetStatistics' || s === 'AT_SetOptions',
    )
    if (mild) return undefined
    const fkOnly = commands.every(
      (c) => nodeAs(c.cmd.def, 'Constraint')?.contype === 'CONSTR_FOREIGN',
    )
    return {
      command: `ALTER TABLE ${showName(first.table)}`,
      mode: fkOnly
        ? 'SHARE ROW EXCLUSIVE mode (writes wait)'
        : 'ACCESS EXCLUSIVE mode (reads and writes wait)',
      table: first.table,
    }
  }
  const index = nodeAs(node, 'IndexStmt')
  const indexed = rangeVarName(index?.relation)
  if (index && !index.concurrent && existing(indexed)) {
    return { command: 'CREATE INDEX', mode: 'SHARE mode (writes wait)', table: indexed }
  }
  const drop = nodeAs(node, 'DropStmt')
  if (
    drop &&
    !drop.concurrent &&
    (drop.removeType === 'OBJECT_TABLE' || drop.removeType === 'OBJECT_INDEX')
  ) {
    for (const object of drop.objects ?? []) {
      const name = objectName(object)
      const table =
        drop.removeType === 'OBJECT_TABLE' ? name : (context.model.index(name)?.table ?? name)
      const createdHere =
        drop.removeType === 'OBJECT_INDEX' &&
        context.model.index(name)?.createdIn === context.migration.index
      if (existing(table) && !createdHere) {
        const kind = drop.removeType === 'OBJECT_TABLE' ? 'TABLE' : 'INDEX'
        return {
          command: `DROP ${kind}`,
          mode: 'ACCESS EXCLUSIVE mode (reads and writes wait)',
          table,
        }
      }
    }
  }
  const rename = nodeAs(node, 'RenameStmt')
  const renamed = rangeVarName(rename?.relation)
  if (
    (rename?.renameType === 'OBJECT_TABLE' || rename?.renameType === 'OBJECT_COLUMN') &&
    existing(renamed)
  ) {
    return {
      command: 'ALTER TABLE … RENAME',
      mode: 'ACCESS EXCLUSIVE mode (reads and writes wait)',
      table: renamed,
    }
  }
  const trigger = nodeAs(node, 'CreateTrigStmt')
  const triggered = rangeVarName(trigger?.relation)
  if (trigger && existing(triggered)) {
    return {
      command: 'CREATE TRIGGER',
      mode: 'SHARE ROW EXCLUSIVE mode (writes wait)',
      table: triggered,
    }
  }
  const truncate = nodeAs(node, 'TruncateStmt')
  for (const relation of truncate?.relations ?? []) {
    const table = rangeVarName(nodeAs(relation, 'RangeVar'))
    if (existing(table))
      return { command: 'TRUNCATE', mode: 'ACCESS EXCLUSIVE mode (reads and writes wait)', table }
  }
  return undefined
}
