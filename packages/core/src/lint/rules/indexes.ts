import type { Node } from 'libpg-query'
import { alterTableCommands } from '../alter-table.js'
import { nodeAs, rangeVarName, showName } from '../ast.js'
import { isExisting, noTransactionFix, type CommandContext, type Finding } from '../context.js'

/**
 * CREATE INDEX without CONCURRENTLY on an existing table (LINT_INDEX_NOT_CONCURRENT), and a
 * command that cannot run in a transaction block running in one (LINT_CANNOT_RUN_IN_TRANSACTION;
 * skipped where discovery's cheaper check already reported the statement).
 */
export function checkIndexes(context: CommandContext): Finding[] {
  const findings: Finding[] = []
  const index = nodeAs(context.node, 'IndexStmt')
  const table = rangeVarName(index?.relation)
  if (index && table && !index.concurrent && isExisting(context, table)) {
    const name = index.idxname ? `${index.idxname} ` : ''
    findings.push({
      code: 'LINT_INDEX_NOT_CONCURRENT',
      message: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${name}on existing table ${showName(table)} without CONCURRENTLY blocks writes to ${showName(table)} until the index is built`,
      fix:
        context.format === 'drizzle'
          ? `${noTransactionFix('drizzle')}, or accept the lock for a small table and mark it reviewed: -- pgtestbed-lint-ignore LINT_INDEX_NOT_CONCURRENT: <why>`
          : `use CREATE INDEX CONCURRENTLY, which cannot run in a transaction: ${noTransactionFix(context.format)}`,
    })
  }
  const command = noTransactionCommand(context.node)
  if (
    command &&
    context.transaction &&
    !context.reportedByDiscovery('NON_TRANSACTIONAL_IN_TRANSACTION')
  ) {
    const why =
      context.transaction === 'migration'
        ? `${context.format} runs this migration in a transaction`
        : 'it shares one query string with other commands, which PostgreSQL runs as one implicit transaction'
    findings.push({
      code: 'LINT_CANNOT_RUN_IN_TRANSACTION',
      message: `${command} cannot run inside a transaction block (SQLSTATE 25001), but here it does: ${why}`,
      fix: noTransactionFix(context.format),
    })
  }
  return findings
}

/**
 * The name of a command PostgreSQL refuses inside a transaction block (migration-formats §7.2),
 * or `undefined` for any other command.
 *
 * @example
 * noTransactionCommand(parse('CREATE INDEX CONCURRENTLY i ON t (a)')) // 'CREATE INDEX CONCURRENTLY'
 */
function noTransactionCommand(node: Node): string | undefined {
  if (nodeAs(node, 'IndexStmt')?.concurrent) return 'CREATE INDEX CONCURRENTLY'
  const drop = nodeAs(node, 'DropStmt')
  if (drop?.concurrent) return 'DROP INDEX CONCURRENTLY'
  const reindex = nodeAs(node, 'ReindexStmt')
  if (reindex) {
    const concurrently = (reindex.params ?? []).some(
      (p) => nodeAs(p, 'DefElem')?.defname === 'concurrently',
    )
    if (concurrently) return 'REINDEX CONCURRENTLY'
    if (reindex.kind === 'REINDEX_OBJECT_SCHEMA') return 'REINDEX SCHEMA'
    if (reindex.kind === 'REINDEX_OBJECT_DATABASE') return 'REINDEX DATABASE'
    if (reindex.kind === 'REINDEX_OBJECT_SYSTEM') return 'REINDEX SYSTEM'
  }
  if (nodeAs(node, 'VacuumStmt')?.is_vacuumcmd) return 'VACUUM'
  const cluster = nodeAs(node, 'ClusterStmt')
  if (cluster && !cluster.relation) return 'CLUSTER without a table'
  if (nodeAs(node, 'CreatedbStmt')) return 'CREATE DATABASE'
  if (nodeAs(node, 'DropdbStmt')) return 'DROP DATABASE'
  const alterDb = nodeAs(node, 'AlterDatabaseStmt')
  if (alterDb?.options?.some((o) => nodeAs(o, 'DefElem')?.defname === 'tablespace')) {
    return 'ALTER DATABASE … SET TABLESPACE'
  }
  if (nodeAs(node, 'CreateTableSpaceStmt')) return 'CREATE TABLESPACE'
  if (nodeAs(node, 'DropTableSpaceStmt')) return 'DROP TABLESPACE'
  if (nodeAs(node, 'AlterSystemStmt')) return 'ALTER SYSTEM'
  if (nodeAs(node, 'DiscardStmt')?.target === 'DISCARD_ALL') return 'DISCARD ALL'
  const subscription = nodeAs(node, 'CreateSubscriptionStmt')
  const noSlot = subscription?.options?.some((o) => {
    const option = nodeAs(o, 'DefElem')
    return option?.defname === 'create_slot' && isFalse(option.arg)
  })
  if (subscription && !noSlot) return 'CREATE SUBSCRIPTION (with create_slot)'
  if (nodeAs(node, 'DropSubscriptionStmt')) return 'DROP SUBSCRIPTION'
  for (const { cmd } of alterTableCommands(node)) {
    if (cmd.subtype === 'AT_DetachPartition' && nodeAs(cmd.def, 'PartitionCmd')?.concurrent) {
      return 'ALTER TABLE … DETACH PARTITION CONCURRENTLY'
    }
  }
  return undefined
}

/** True for a `false` / `off` option value. */
function isFalse(arg: Node | undefined): boolean {
  const value = nodeAs(arg, 'String')?.sval ?? nodeAs(arg, 'Boolean')?.boolval
  return value === false || value === 'false' || value === 'off'
}
