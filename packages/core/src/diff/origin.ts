import type { Node } from 'libpg-query'
import { displayPath } from '../diagnostics.js'
import { loadParser, parseStatements } from '../lint/parser.js'
import { stringList, tagOf } from '../lint/ast.js'
import type { SchemaSet } from '../migrations/migrator/types.js'
import type { SchemaObject } from './types.js'

const DEFAULT_SCHEMA = 'public'

/** Object kinds whose objects share one name space in a schema (tables, views, types, sequences). */
type Space = 'name' | 'function' | 'schema' | 'extension'

const FUNCTION_KINDS = new Set(['function', 'procedure', 'aggregate'])
const FUNCTION_OBJECTS = new Set([
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_AGGREGATE',
])
/** Comment targets whose last name part is a child of a table. */
const CHILD_OBJECTS = new Set([
  'OBJECT_COLUMN',
  'OBJECT_TABCONSTRAINT',
  'OBJECT_TRIGGER',
  'OBJECT_POLICY',
  'OBJECT_RULE',
])

const keyOf = (space: Space, parts: readonly string[]) => {
  if (space === 'schema' || space === 'extension') return `${space}:${parts.at(-1)}`
  const name = parts.at(-1)
  const schema = parts.length > 1 ? parts.at(-2) : DEFAULT_SCHEMA
  return `${space}:${schema}.${name}`
}

type Record_ = Record<string, unknown>
const rangeVar = (value: unknown): string[] => {
  const r = value as { schemaname?: string; relname?: string } | undefined
  if (!r?.relname) return []
  return r.schemaname ? [r.schemaname, r.relname] : [r.relname]
}
const list = (value: unknown): string[] => {
  const items = (value as { List?: { items?: Node[] } } | undefined)?.List?.items
  if (items) return stringList(items)
  const typeName = (value as { TypeName?: { names?: Node[] } } | undefined)?.TypeName
  if (typeName) return stringList(typeName.names)
  const owa = (value as { ObjectWithArgs?: { objname?: Node[] } } | undefined)?.ObjectWithArgs
  if (owa) return stringList(owa.objname)
  const single = (value as { String?: { sval?: string } } | undefined)?.String?.sval
  return single === undefined ? [] : [single]
}

/** The objects a command creates, changes or drops, as origin keys. */
function touched(node: Node): string[] {
  const tag = tagOf(node)
  const body = (node as unknown as Record<string, Record_>)[tag] ?? {}
  const name = (parts: string[]) => (parts.length ? [keyOf('name', parts)] : [])
  switch (tag) {
    case 'CreateStmt':
    case 'AlterTableStmt':
    case 'IndexStmt':
    case 'CreateTrigStmt':
    case 'RuleStmt':
      return name(rangeVar(body.relation))
    case 'ViewStmt':
      return name(rangeVar(body.view))
    case 'CreateTableAsStmt':
      return name(rangeVar((body.into as Record_ | undefined)?.rel))
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      return name(rangeVar(body.table))
    case 'CreateSeqStmt':
    case 'AlterSeqStmt':
      return name(rangeVar(body.sequence))
    case 'CompositeTypeStmt':
      return name(rangeVar(body.typevar))
    case 'CreateEnumStmt':
    case 'AlterEnumStmt':
    case 'CreateRangeStmt':
    case 'AlterDomainStmt':
      return name(stringList(body.typeName as Node[]))
    case 'CreateDomainStmt':
      return name(stringList(body.domainname as Node[]))
    case 'CreateFunctionStmt':
      return [keyOf('function', stringList(body.funcname as Node[]))]
    case 'CreateSchemaStmt':
      return [keyOf('schema', [String(body.schemaname)])]
    case 'CreateExtensionStmt':
      return [keyOf('extension', [String(body.extname)])]
    case 'CommentStmt': {
      const type = String(body.objtype)
      const parts = list(body.object)
      if (FUNCTION_OBJECTS.has(type)) return [keyOf('function', parts)]
      if (type === 'OBJECT_SCHEMA') return [keyOf('schema', parts)]
      if (type === 'OBJECT_EXTENSION') return [keyOf('extension', parts)]
      return name(CHILD_OBJECTS.has(type) ? parts.slice(0, -1) : parts)
    }
    case 'RenameStmt': {
      const type = String(body.renameType)
      const parts = body.relation ? rangeVar(body.relation) : list(body.object)
      if (FUNCTION_OBJECTS.has(type)) return [keyOf('function', parts)]
      if (type === 'OBJECT_SCHEMA' || CHILD_OBJECTS.has(type) || type === 'OBJECT_INDEX') {
        return CHILD_OBJECTS.has(type) ? name(parts) : []
      }
      // The object now carries the new name: the rename is the last thing that touched it.
      const renamed = [...parts.slice(0, -1), String(body.newname)]
      return [...name(parts), ...name(renamed)]
    }
    case 'DropStmt': {
      const type = String(body.removeType)
      const space: Space = FUNCTION_OBJECTS.has(type)
        ? 'function'
        : type === 'OBJECT_SCHEMA'
          ? 'schema'
          : type === 'OBJECT_EXTENSION'
            ? 'extension'
            : 'name'
      const objects = (body.objects as unknown[] | undefined) ?? []
      return objects
        .map((o) => list(o))
        .filter((p) => p.length > 0)
        .map((p) => {
          // DROP TRIGGER / POLICY / RULE name ON table: the table is what changed.
          const child = ['OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE'].includes(type)
          return keyOf(space, child ? p.slice(0, -1) : p)
        })
    }
    default:
      return []
  }
}

/** Where each object was last touched: `migrations/00003_add_status.sql:4`. */
export type OriginIndex = Map<string, string>

/**
 * Follows the migrations' Up statements with PostgreSQL's parser and records, for every table,
 * view, type, sequence, function, schema and extension a statement creates, alters, comments on,
 * renames or drops, the file and line of the last such statement. Dynamic SQL (`DO` blocks,
 * `EXECUTE`) is not followed. With `names`, only statements that mention one of them are parsed
 * (the objects to name are known), which keeps a diff of a large schema fast.
 *
 * @example
 * const origins = await indexOrigins(set, process.cwd())
 * originOf(origins, tableObject) // 'migrations/00002_add_status.sql:3'
 */
export async function indexOrigins(
  set: SchemaSet,
  cwd: string,
  names?: readonly string[],
): Promise<OriginIndex> {
  await loadParser()
  const origins: OriginIndex = new Map()
  // Only statements that mention one of the names (as a whole word) can touch those objects:
  // the others need no parse.
  const escapeRegExp = (n: string) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const wanted =
    names && names.length > 0
      ? new RegExp(`(?<![\\w$])(?:${names.map(escapeRegExp).join('|')})(?![\\w$])`, 'i')
      : names
        ? /$^/
        : undefined
  const mentions = (sql: string) => wanted === undefined || wanted.test(sql)
  for (const migration of set.migrations) {
    const statements = migration.up.statements.filter((s) => mentions(s.sql))
    if (statements.length === 0) continue
    const outcomes = parseStatements(statements.map((s) => s.sql))
    outcomes.forEach((outcome, i) => {
      if (!outcome.ok) return
      const where = `${displayPath(migration.up.file, cwd)}:${statements[i]!.line}`
      for (const command of outcome.commands) {
        for (const key of touched(command.node)) origins.set(key, where)
      }
    })
  }
  return origins
}

/** The origin of a top-level object, if a migration touched it. */
export function originOf(
  origins: OriginIndex,
  object: Pick<SchemaObject, 'kind' | 'path'>,
): string | undefined {
  const space: Space = FUNCTION_KINDS.has(object.kind)
    ? 'function'
    : object.kind === 'schema'
      ? 'schema'
      : object.kind === 'extension'
        ? 'extension'
        : 'name'
  return origins.get(keyOf(space, object.path.slice(0, 2)))
}
