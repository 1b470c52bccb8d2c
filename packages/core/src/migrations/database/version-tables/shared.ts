import path from 'node:path'
import type pg from 'pg'
import { PgtestbedError } from '../../../errors.js'
import { quoteQualified } from '../../../internal/quote-ident.js'
import type { Migration, MigrationSet, VersionRecord } from '../../types.js'
import type { TableLocation } from './types.js'

/** How a tool names its table when no schema is configured. */
export type SchemaDefault =
  /** Leave the name unqualified so it resolves through `search_path` (goose). */
  | { kind: 'search-path' }
  /** Use `current_schema()` (golang-migrate; dbmate, which falls back to `fallback`). */
  | { kind: 'current-schema'; fallback?: string }
  /** A fixed schema (drizzle's `drizzle`). */
  | { kind: 'fixed'; schema: string }

/**
 * Finds the version table in one round trip: the schema it lives in, whether that schema exists,
 * and the table's columns (`null` when there is no such table).
 */
export async function locateTable(
  client: pg.ClientBase,
  set: MigrationSet,
  schemaDefault: SchemaDefault,
): Promise<TableLocation> {
  const { table } = set.versionTable
  const configured =
    set.versionTable.schema ?? (schemaDefault.kind === 'fixed' ? schemaDefault.schema : undefined)
  const unqualified = configured === undefined && schemaDefault.kind === 'search-path'
  // to_regclass resolves the name the same way the tool's own queries will: through search_path
  // when unqualified, inside the schema otherwise. It returns NULL instead of failing when absent.
  const regclass = unqualified
    ? 'to_regclass(quote_ident($2))'
    : `to_regclass(quote_ident(s.schema) || '.' || quote_ident($2))`
  const result = await client.query<{
    schema: string | null
    schema_exists: boolean
    columns: string[] | null
  }>(
    `WITH s AS (SELECT coalesce($1::text, current_schema()) AS schema)
     SELECT s.schema,
            EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = s.schema) AS schema_exists,
            (SELECT array_agg(attname::text) FROM pg_catalog.pg_attribute
              WHERE attrelid = ${regclass} AND attnum > 0 AND NOT attisdropped) AS columns
     FROM s`,
    [configured ?? null, table],
  )
  const row = result.rows[0]
  let schema = unqualified ? undefined : (configured ?? row?.schema ?? undefined)
  let schemaExists = unqualified || row?.schema_exists === true
  if (schema === undefined && !unqualified) {
    if (schemaDefault.kind === 'current-schema' && schemaDefault.fallback) {
      schema = schemaDefault.fallback
      schemaExists = false
    } else {
      throw new PgtestbedError(
        'INVALID_OPTIONS',
        `cannot place the version table ${table}: the connection has no current schema (search_path names no existing schema)`,
        {
          fix: 'set the version table schema in the pgtestbed config, or fix the role search_path',
        },
      )
    }
  }
  return {
    schema,
    table,
    sql: quoteQualified(schema, table),
    // Messages name the table as configured: `schema_migrations`, not `public.schema_migrations`.
    display: configured === undefined ? table : `${configured}.${table}`,
    schemaExists,
    columns: row?.columns ? new Set(row.columns) : null,
  }
}

/** The migration's file as messages show it: relative to the migrations folder. */
export function migrationName(set: Pick<MigrationSet, 'dir'>, migration: Migration): string {
  const file = migration.files[0] ?? migration.up.file
  const relative = path.relative(set.dir, file)
  return (relative.startsWith('..') ? file : relative).split(path.sep).join('/')
}

/** Narrows a migration's record to the set's format; a mismatch is a bug in whoever built the set. */
export function recordOf<F extends VersionRecord['format']>(
  migration: Migration,
  format: F,
): Extract<VersionRecord, { format: F }> {
  if (migration.record.format !== format) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `migration ${migration.version} carries a ${migration.record.format} version record inside a ${format} migration set`,
      { fix: 'build the set with discoverMigrations(), which gives every migration its format' },
    )
  }
  return migration.record as Extract<VersionRecord, { format: F }>
}

/** Reads a `timestamp`/`timestamptz` column as epoch milliseconds, independent of pg's type parsers. */
export function epochMsSql(column: string): string {
  return `floor(extract(epoch FROM ${column}::timestamptz) * 1000)::float8`
}

/** A Date from epoch milliseconds as returned by {@link epochMsSql}, or undefined for NULL. */
export function dateFromMs(ms: number | string | null | undefined): Date | undefined {
  if (ms === null || ms === undefined) return undefined
  return new Date(Number(ms))
}
