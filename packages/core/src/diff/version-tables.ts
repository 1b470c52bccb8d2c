import { displayId, objectKey } from './names.js'
import type { SchemaObject } from './types.js'

/** A version table to leave out of a comparison; no `schema`: the connection's current schema. */
export interface VersionTableRef {
  schema?: string
  table: string
}

/**
 * The version tables of the migration tools pgtestbed knows (and of the common ORMs), left out
 * of every comparison wherever they are: they record which migrations ran, not the schema the
 * code uses, and `drizzle-kit push` or a dump of another tool has its own or none.
 */
export const TOOL_VERSION_TABLES: readonly string[] = [
  'goose_db_version',
  'schema_migrations',
  '__drizzle_migrations',
  '_prisma_migrations',
  'pgmigrations',
  'knex_migrations',
  'knex_migrations_lock',
  'kysely_migration',
  'kysely_migration_lock',
  'mikro_orm_migrations',
  'typeorm_metadata',
  'flyway_schema_history',
  'databasechangelog',
  'databasechangeloglock',
]

/**
 * Removes the version tables (the tools' well-known ones, and `extra`), everything that belongs
 * to them (columns, constraints, indexes, triggers, the sequence of a serial id), and a schema
 * other than `public` that held nothing else (drizzle's `drizzle` schema).
 */
export function excludeVersionTables(
  objects: Map<string, SchemaObject>,
  extra: readonly VersionTableRef[],
  currentSchema: string | null,
): Map<string, SchemaObject> {
  const named = new Set(TOOL_VERSION_TABLES)
  const exact = new Set(extra.map((t) => `${t.schema ?? currentSchema ?? 'public'}\0${t.table}`))
  const isVersionTable = (o: SchemaObject) =>
    o.kind === 'table' && (named.has(o.path[1]!) || exact.has(`${o.path[0]!}\0${o.path[1]!}`))

  const removed = new Set<string>()
  const schemas = new Set<string>()
  for (const object of objects.values()) {
    if (!isVersionTable(object)) continue
    removed.add(object.key)
    schemas.add(object.path[0]!)
  }
  if (removed.size === 0) return objects
  const kept = new Map<string, SchemaObject>()
  for (const [key, object] of objects) {
    const { ownerSchema, ownerTable } = object.details
    const ownedBy =
      object.kind === 'sequence' && ownerSchema && ownerTable
        ? objectKey('table', displayId([ownerSchema, ownerTable]))
        : undefined
    if (removed.has(key) || (object.parent !== undefined && removed.has(object.parent))) continue
    if (ownedBy !== undefined && removed.has(ownedBy)) continue
    kept.set(key, object)
  }
  for (const schema of schemas) {
    if (schema === 'public') continue
    const used = [...kept.values()].some((o) => o.kind !== 'schema' && o.path[0] === schema)
    if (!used) kept.delete(objectKey('schema', displayId([schema])))
  }
  return kept
}
