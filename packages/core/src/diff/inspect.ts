import type { QueryResultRow } from 'pg'
import type { Queryable } from '../internal/queryable.js'
import { SqlLexer } from '../migrations/files/sqlparser/lexer.js'
import {
  COLUMNS_SQL,
  CONSTRAINTS_SQL,
  EXTENSIONS_SQL,
  functionsSql,
  INDEXES_SQL,
  POLICIES_SQL,
  RELATIONS_SQL,
  SCHEMAS_SQL,
  SEQUENCES_SQL,
  SESSION_SQL,
  TRIGGERS_SQL,
  TYPES_SQL,
} from './catalog-queries.js'
import { displayId, objectKey } from './names.js'
import type { ObjectKind, SchemaInspection, SchemaObject } from './types.js'
import { excludeVersionTables, type VersionTableRef } from './version-tables.js'

/** Options of {@link inspectSchema}. */
export interface InspectOptions {
  /**
   * Version tables to leave out besides the well-known ones of every migration tool (see
   * `TOOL_VERSION_TABLES`); a table without `schema` is looked up in the connection's current
   * schema. Default: none.
   */
  versionTables?: readonly VersionTableRef[]
  /**
   * Leaves out the objects it returns true for and everything that belongs to them (a table's
   * columns, a schema's objects). Default: none.
   */
  ignore?: (object: SchemaObject) => boolean
}

const RELKINDS: Record<string, ObjectKind> = {
  r: 'table',
  p: 'table',
  f: 'foreign table',
  v: 'view',
  m: 'materialized view',
}
const TYPE_KINDS: Record<string, ObjectKind> = {
  e: 'enum',
  d: 'domain',
  c: 'composite type',
  r: 'range type',
}
const PROKINDS: Record<string, ObjectKind> = {
  f: 'function',
  w: 'function',
  p: 'procedure',
  a: 'aggregate',
}
const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' }
const PARALLEL: Record<string, string> = { s: 'safe', r: 'restricted', u: 'unsafe' }
const TRIGGER_STATE: Record<string, string> = {
  O: 'enabled',
  D: 'disabled',
  R: 'enabled replica',
  A: 'enabled always',
}
const POLICY_COMMANDS: Record<string, string> = {
  r: 'SELECT',
  a: 'INSERT',
  w: 'UPDATE',
  d: 'DELETE',
  '*': 'ALL',
}

type Row = Record<string, string | number | boolean | null>
const text = (value: unknown): string | null =>
  value === null || value === undefined || value === '' ? null : String(value)
const yes = (value: unknown): string => (value === true ? 'true' : 'false')

/**
 * The version of what {@link readCatalog} returns; bump it when the queries or the objects they
 * build change, so cached template schemas from older versions are read again.
 */
export const CATALOG_READ_VERSION = 1

/** A schema as read from the catalog, before anything is left out (what the template cache keeps). */
export interface CatalogRead {
  serverVersion: number
  /** The connection's current schema (where a version table without a schema lives). */
  currentSchema: string | null
  /** Every object, parents before children. */
  objects: SchemaObject[]
}

/**
 * Reads the schema of the connected database from the catalog: schemas, extensions, tables and
 * their columns (type, nullability, default, identity, generated expression, collation,
 * position), constraints, indexes, enums and other types, sequences, views and materialized
 * views, functions, procedures, triggers, row-level security policies and every comment.
 * Objects of extensions and the migration tools' version tables are left out.
 *
 * It runs in one `READ ONLY` transaction (so a live database is never written to, and every
 * query sees the same snapshot) and rolls it back. `search_path` is set to `pg_catalog` inside
 * it, so PostgreSQL's deparsers qualify every name whatever the database's search_path says.
 *
 * @example
 * const schema = await inspectSchema(client, { versionTables: [set.versionTable] })
 * schema.objects.get('column public.users.email')?.attributes.type // 'text'
 * @throws Error when a query fails (the caller adds which database it was).
 */
export async function inspectSchema(
  client: Queryable,
  options: InspectOptions = {},
): Promise<SchemaInspection> {
  return selectObjects(await readCatalog(client), options)
}

/** What `pg` gives for a query string of several statements (simple protocol). */
type Results = Array<{ rows: Row[] }>

/**
 * Reads every object (see {@link inspectSchema}) in two round trips: the server version, then
 * every catalog query in one simple-protocol batch (a live database may be far away).
 */
export async function readCatalog(client: Queryable): Promise<CatalogRead> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  try {
    const session = (
      await rows<{ schema: string | null; version: number }>(client, SESSION_SQL)
    )[0]!
    const version = Number(session.version)
    const queries = [
      SCHEMAS_SQL,
      EXTENSIONS_SQL,
      RELATIONS_SQL,
      SEQUENCES_SQL,
      COLUMNS_SQL,
      CONSTRAINTS_SQL,
      INDEXES_SQL,
      TYPES_SQL,
      functionsSql(version),
      TRIGGERS_SQL,
      POLICIES_SQL,
      // Proof that nothing above wrote: a transaction that writes gets an id.
      'SELECT txid_current_if_assigned()::text AS xid',
    ]
    // SET LOCAL is not a write: it ends with the transaction. A lock held by a long migration on
    // the live database must not leave the check hanging.
    const batch = [
      `SET LOCAL search_path TO pg_catalog`,
      `SET LOCAL lock_timeout TO '10s'`,
      ...queries,
    ]
    const results = (await client.query(batch.join(';\n'))) as unknown as Results
    const [
      schemas,
      extensions,
      relations,
      sequences,
      columns,
      constraints,
      indexes,
      types,
      functions,
      triggers,
      policies,
      proof,
    ] = results.slice(2).map((r) => r.rows)
    if (proof?.[0]?.xid !== null) throw new Error('the schema inspection wrote to the database')
    const objects = buildObjects({
      schemas: schemas!,
      extensions: extensions!,
      relations: relations!,
      sequences: sequences!,
      columns: columns!,
      constraints: constraints!,
      indexes: indexes!,
      types: types!,
      functions: functions!,
      triggers: triggers!,
      policies: policies!,
    })
    return { serverVersion: version, currentSchema: session.schema, objects: [...objects.values()] }
  } finally {
    await client.query('ROLLBACK').catch(() => {})
  }
}

/**
 * The objects of a catalog read that a comparison looks at: without the version tables and
 * what `ignore` leaves out.
 */
export function selectObjects(read: CatalogRead, options: InspectOptions = {}): SchemaInspection {
  const objects = new Map(read.objects.map((o) => [o.key, o]))
  const kept = excludeVersionTables(objects, options.versionTables ?? [], read.currentSchema)
  return { serverVersion: read.serverVersion, objects: applyIgnore(kept, options.ignore) }
}

async function rows<T extends QueryResultRow>(client: Queryable, sql: string): Promise<T[]> {
  return (await client.query<T>(sql)).rows
}

/** Drops ignored objects and every object whose parent was dropped. */
function applyIgnore(
  objects: Map<string, SchemaObject>,
  ignore: ((object: SchemaObject) => boolean) | undefined,
): Map<string, SchemaObject> {
  if (!ignore) return objects
  const dropped = new Set<string>()
  const schemas = new Set<string>()
  const kept = new Map<string, SchemaObject>()
  // Parents come before their children, and schemas before all, in the map (see buildObjects).
  for (const [key, object] of objects) {
    const inIgnoredSchema = object.kind !== 'extension' && schemas.has(object.path[0]!)
    if (
      inIgnoredSchema ||
      (object.parent !== undefined && dropped.has(object.parent)) ||
      ignore(object)
    ) {
      dropped.add(key)
      if (object.kind === 'schema') schemas.add(object.path[0]!)
      continue
    }
    kept.set(key, object)
  }
  return kept
}

interface CatalogRows {
  schemas: Row[]
  extensions: Row[]
  relations: Row[]
  sequences: Row[]
  columns: Row[]
  constraints: Row[]
  indexes: Row[]
  types: Row[]
  functions: Row[]
  triggers: Row[]
  policies: Row[]
}

function make(
  kind: ObjectKind,
  path: string[],
  attributes: Record<string, string | null>,
  details: Record<string, string | null> = {},
  options: { parent?: string; id?: string } = {},
): SchemaObject {
  const id = options.id ?? displayId(path)
  const object: SchemaObject = { kind, key: objectKey(kind, id), id, path, attributes, details }
  if (options.parent !== undefined) object.parent = options.parent
  return object
}

/** Turns the catalog rows into objects, parents before children. */
function buildObjects(r: CatalogRows): Map<string, SchemaObject> {
  const objects = new Map<string, SchemaObject>()
  const add = (object: SchemaObject) => objects.set(object.key, object)

  for (const s of r.schemas) add(make('schema', [String(s.name)], { comment: text(s.comment) }))
  for (const e of r.extensions) {
    // The version is shown, not compared: servers of two environments ship different ones.
    add(
      make('extension', [String(e.name)], { schema: text(e.schema) }, { version: text(e.version) }),
    )
  }
  for (const t of r.types) add(typeObject(t))
  for (const s of r.sequences) add(sequenceObject(s))

  const relations = new Map<string, SchemaObject>()
  for (const rel of r.relations) {
    const object = relationObject(rel)
    relations.set(String(rel.oid), object)
    add(object)
  }
  const child = (row: Row) => relations.get(String(row.relid))

  for (const c of r.columns) {
    const table = child(c)
    if (table) add(columnObject(c, table))
  }
  for (const c of r.constraints) {
    const table = child(c)
    if (!table) continue
    add(
      make(
        'constraint',
        [...table.path, String(c.name)],
        {
          definition: text(c.definition),
          valid: yes(c.validated),
          comment: text(c.comment),
        },
        { type: text(c.type) },
        { parent: table.key },
      ),
    )
  }
  for (const i of r.indexes) {
    const table = child(i)
    if (table && i.of_constraint !== true) add(indexObject(i, table))
  }
  for (const f of r.functions) add(functionObject(f))
  for (const t of r.triggers) {
    const table = child(t)
    if (!table) continue
    add(
      make(
        'trigger',
        [...table.path, String(t.name)],
        {
          definition: text(t.definition),
          enabled: TRIGGER_STATE[String(t.enabled)] ?? text(t.enabled),
          comment: text(t.comment),
        },
        {},
        { parent: table.key },
      ),
    )
  }
  for (const p of r.policies) {
    const table = child(p)
    if (!table) continue
    add(
      make(
        'policy',
        [...table.path, String(p.name)],
        {
          command: POLICY_COMMANDS[String(p.command)] ?? text(p.command),
          mode: p.permissive === true ? 'permissive' : 'restrictive',
          roles: text(p.roles),
          using: text(p.using_expr),
          'with check': text(p.check_expr),
          comment: text(p.comment),
        },
        {},
        { parent: table.key },
      ),
    )
  }
  return objects
}

function relationObject(rel: Row): SchemaObject {
  const kind = RELKINDS[String(rel.relkind)] ?? 'table'
  const path = [String(rel.schema), String(rel.name)]
  if (kind === 'view' || kind === 'materialized view') {
    return make(kind, path, {
      definition: text(rel.view_definition),
      options: text(rel.options),
      comment: text(rel.comment),
    })
  }
  const rls = rel.rls === true ? (rel.force_rls === true ? 'enabled, forced' : 'enabled') : null
  return make(
    kind,
    path,
    {
      persistence: rel.persistence === 'u' ? 'unlogged' : null,
      'row level security': rls,
      'partitioned by': text(rel.partition_key),
      'partition of': text(rel.partition_of),
      inherits: text(rel.inherits),
      options: text(rel.options),
      comment: text(rel.comment),
    },
    { partitioned: rel.relkind === 'p' ? 'true' : null },
  )
}

function columnObject(c: Row, table: SchemaObject): SchemaObject {
  const identity = c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by default' : null
  return make(
    'column',
    [...table.path, String(c.name)],
    {
      type: text(c.type),
      'not null': yes(c.not_null),
      default: text(c.default_value),
      identity,
      'identity options': text(c.identity_options),
      generated: c.generated === null ? null : `${String(c.generated)} stored`,
      collation: text(c.collation),
      comment: text(c.comment),
    },
    { position: String(c.position), expression: text(c.generated) },
    { parent: table.key },
  )
}

function indexObject(i: Row, table: SchemaObject): SchemaObject {
  const definition = String(i.definition)
  return make(
    'index',
    [table.path[0]!, String(i.name)],
    {
      method: text(i.method),
      unique: yes(i.is_unique),
      columns: indexColumns(definition),
      include: text(i.include),
      predicate: text(i.predicate),
      // What the attributes above leave out (operator classes, NULLS NOT DISTINCT, storage options).
      'full definition': definition.replace(
        /^CREATE (?:UNIQUE )?INDEX (?:"(?:[^"]|"")*"|\S+) ON /,
        '',
      ),
      comment: text(i.comment),
    },
    { definition },
    { parent: table.key },
  )
}

/**
 * The key columns of `CREATE INDEX … USING method (a DESC, lower(b))`: what is inside the
 * parentheses after `USING method`, with their order and operator classes.
 */
export function indexColumns(definition: string): string | null {
  const using = /\bUSING \S+ \(/.exec(definition)
  if (!using) return null
  const start = using.index + using[0].length
  // The lexer steps over parentheses inside string literals and quoted names.
  const lexer = new SqlLexer().read(definition, start)
  let depth = 1
  while (lexer.next()) {
    if (lexer.kind !== 'symbol') continue
    const c = definition[lexer.start]
    if (c === '(') depth++
    else if (c === ')' && --depth === 0) return definition.slice(start, lexer.start)
  }
  return null
}

function typeObject(t: Row): SchemaObject {
  const kind = TYPE_KINDS[String(t.typtype)] ?? 'domain'
  const path = [String(t.schema), String(t.name)]
  if (kind === 'enum') {
    const labels = JSON.parse(String(t.labels ?? '[]')) as string[]
    return make(
      kind,
      path,
      { values: labels.map(literal).join(', '), comment: text(t.comment) },
      { labels: JSON.stringify(labels) },
    )
  }
  if (kind === 'domain') {
    return make(
      kind,
      path,
      {
        type: text(t.base_type),
        default: text(t.default_value),
        'not null': yes(t.not_null),
        checks: text(t.checks),
        comment: text(t.comment),
      },
      { checkClauses: text(t.check_clauses) },
    )
  }
  if (kind === 'composite type') {
    return make(kind, path, { fields: text(t.fields), comment: text(t.comment) })
  }
  return make(kind, path, { subtype: text(t.subtype), comment: text(t.comment) })
}

function sequenceObject(s: Row): SchemaObject {
  const owner =
    s.owner_table === null
      ? null
      : displayId([String(s.owner_schema), String(s.owner_table), String(s.owner_column)])
  return make(
    'sequence',
    [String(s.schema), String(s.name)],
    {
      type: text(s.type),
      start: text(s.start),
      increment: text(s.increment),
      min: text(s.min),
      max: text(s.max),
      cache: text(s.cache),
      cycle: yes(s.cycle),
      'owned by': owner,
      comment: text(s.comment),
    },
    {
      ownerSchema: text(s.owner_schema),
      ownerTable: text(s.owner_table),
    },
  )
}

function functionObject(f: Row): SchemaObject {
  const kind = PROKINDS[String(f.prokind)] ?? 'function'
  const path = [String(f.schema), String(f.name)]
  const id = `${displayId(path)}(${String(f.args)})`
  if (kind === 'aggregate') {
    return make(
      kind,
      path,
      { aggregate: text(f.aggregate), comment: text(f.comment) },
      { args: String(f.args) },
      { id },
    )
  }
  return make(
    kind,
    path,
    {
      returns: kind === 'procedure' ? null : text(f.result),
      language: text(f.language),
      body: text(f.body),
      volatility: VOLATILITY[String(f.volatility)] ?? null,
      strict: yes(f.strict),
      'security definer': yes(f.security_definer),
      parallel: PARALLEL[String(f.parallel)] ?? null,
      config: text(f.config),
      // What the attributes above leave out (costs, rows, leakproof, argument defaults).
      'full definition': text(f.definition),
      comment: text(f.comment),
    },
    { definition: text(f.definition), args: String(f.args) },
    { id },
  )
}

/** `'it''s'`: a label as an SQL string literal. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
