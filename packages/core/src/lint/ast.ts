import type { Node, RangeVar, TypeName } from 'libpg-query'

/** The tag of a parse-tree node (`'CreateStmt'`, `'AlterTableStmt'`...). */
export type NodeTag = Node extends infer N ? (N extends N ? keyof N : never) : never

/** The payload type of the node with tag `K`. */
export type NodeOf<K extends NodeTag> = Extract<Node, Record<K, unknown>>[K]

/** The node's payload when its tag is `tag`, else `undefined`. */
export function nodeAs<K extends NodeTag>(node: unknown, tag: K): NodeOf<K> | undefined {
  if (typeof node !== 'object' || node === null || !(tag in node)) return undefined
  return (node as Record<K, NodeOf<K>>)[tag]
}

/** The tag of a node (its only key). */
export function tagOf(node: Node): string {
  for (const key in node) return key
  return ''
}

/** A schema-qualified name; `schema` is absent when the SQL did not qualify it. */
export interface QualifiedName {
  schema?: string
  name: string
}

/** The name of a table reference. */
export function rangeVarName(relation: RangeVar | undefined): QualifiedName | undefined {
  if (!relation?.relname) return undefined
  return relation.schemaname
    ? { schema: relation.schemaname, name: relation.relname }
    : { name: relation.relname }
}

/** The strings of a `String` node list (`[schema, name]`, `[name]`). */
export function stringList(nodes: readonly Node[] | undefined): string[] {
  const out: string[] = []
  for (const node of nodes ?? []) {
    const value = nodeAs(node, 'String')?.sval
    if (value !== undefined) out.push(value)
  }
  return out
}

/** A qualified name from a `String` list (`DROP TABLE a.b`, `ALTER TYPE x`). */
export function listName(parts: readonly string[]): QualifiedName | undefined {
  const name = parts.at(-1)
  if (name === undefined) return undefined
  const schema = parts.length > 1 ? parts.at(-2) : undefined
  return schema === undefined ? { name } : { schema, name }
}

/** The qualified name held by a `List` or `TypeName` node (DROP / RENAME object lists). */
export function objectName(node: Node | undefined): QualifiedName | undefined {
  const list = nodeAs(node, 'List')
  if (list) return listName(stringList(list.items))
  const typeName = nodeAs(node, 'TypeName')
  if (typeName) return typeNameOf(typeName)
  const single = nodeAs(node, 'String')?.sval
  return single === undefined ? undefined : { name: single }
}

/**
 * The name of a type as written, with `pg_catalog.` kept only as a schema (so `int4` and
 * `pg_catalog.int4` compare equal) and `[]` appended for arrays.
 */
export function typeNameOf(typeName: TypeName | undefined): QualifiedName | undefined {
  const parts = stringList(typeName?.names)
  const name = listName(parts)
  if (!name) return undefined
  if (typeName?.arrayBounds?.length) name.name += '[]'
  return name
}

/** Prints a qualified name the way a user would write it (`app.users`, `users`). */
export function showName(name: QualifiedName): string {
  return name.schema && name.schema !== 'pg_catalog' ? `${name.schema}.${name.name}` : name.name
}

/**
 * Calls `visit` for every object in the tree under `root` (nodes and their payloads), depth
 * first. Used for the few checks that need to look inside expressions.
 */
export function walk(root: unknown, visit: (value: Record<string, unknown>) => void): void {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const value = stack.pop()
    if (typeof value !== 'object' || value === null) continue
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item)
      continue
    }
    const record = value as Record<string, unknown>
    visit(record)
    for (const key in record) stack.push(record[key])
  }
}

/** True when a `TypeCast` somewhere under `root` casts to a character type (text, varchar...). */
export function castsThroughText(root: unknown): boolean {
  let found = false
  walk(root, (value) => {
    const cast = nodeAs(value, 'TypeCast')
    const type = typeNameOf(cast?.typeName)?.name
    if (type && TEXT_TYPES.has(type)) found = true
  })
  return found
}

/** Character types an enum can be cast to and back from without loss. */
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'char', 'name', 'citext'])
