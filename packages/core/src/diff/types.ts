/**
 * The kinds of schema object `pgtestbed diff` compares. Owners, privileges, statistics and data
 * are not compared: they differ between environments without the migrations being wrong.
 */
export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'table'
  | 'foreign table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'enum'
  | 'domain'
  | 'composite type'
  | 'range type'
  | 'sequence'
  | 'view'
  | 'materialized view'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'trigger'
  | 'policy'

/**
 * One object of a schema as read from the catalog. Names are never cut: every name comes out of
 * the catalog as `text`, so two constraints of a 63-character table keep apart.
 *
 * @example
 * // column "email" of public.users
 * { kind: 'column', key: 'column public.users.email', id: 'public.users.email', path: ['public', 'users', 'email'],
 *   parent: 'table public.users', attributes: { type: 'text', 'not null': 'true', … }, details: { position: '2' } }
 */
export interface SchemaObject {
  kind: ObjectKind
  /** `kind id`: unique in one inspection, the same for the same object in two databases. */
  key: string
  /** The object's name as it is shown: `public.users`, `public."Order".total`, `public.f(integer)`. */
  id: string
  /** The raw name parts (schema, name, then the column or constraint name), unquoted. */
  path: string[]
  /** The key of the object this one belongs to (a column's table), if any. */
  parent?: string
  /**
   * What is compared, attribute by attribute, in the order a report lists them. `null` means
   * "none" (no default, no comment).
   */
  attributes: Record<string, string | null>
  /** What is not compared but shown or needed to write SQL (a column's position, a definition). */
  details: Record<string, string | null>
}

/** A schema as read by `inspectSchema`: every object by key, and the server it came from. */
export interface SchemaInspection {
  /** `server_version_num` of the server, e.g. `150004`. */
  serverVersion: number
  /** Objects by {@link SchemaObject.key}, in a stable order (kind, then id). */
  objects: Map<string, SchemaObject>
}

/** How two objects with the same key differ, or that one side lacks it. */
export interface Difference {
  /** The object that differs (a column, an index…); see `group` of {@link DiffGroup} for its owner. */
  kind: ObjectKind
  id: string
  /**
   * `'only-expected'`: the expected side (the migrations) has it, the actual side does not;
   * `'only-actual'`: the other way round; `'changed'`: both have it and `attribute` differs.
   */
  change: 'only-expected' | 'only-actual' | 'changed'
  /** The attribute that differs (`type`, `default`, `values`, `column order`…) for `'changed'`. */
  attribute?: string
  /** The expected side's value (`null`: none), or a summary of the object when only it has it. */
  expected: string | null
  /** The actual side's value (`null`: none), or a summary of the object when only it has it. */
  actual: string | null
}

/** The differences of one top-level object (a table with its columns, indexes, triggers…). */
export interface DiffGroup {
  /** The top-level object: `table public.users`, `enum public.mood`, `function public.f(integer)`. */
  kind: ObjectKind
  id: string
  key: string
  /**
   * The migration file (and line) that last touched the object, relative to the working folder,
   * when it can be told from the migrations' SQL (`migrations/00003_add_status.sql:4`).
   */
  origin?: string
  differences: Difference[]
}

/** The result of comparing two inspections. */
export interface SchemaDiff {
  /** True when there is no difference. */
  same: boolean
  /** Groups sorted by kind order (schemas first) then id. */
  groups: DiffGroup[]
}

/** What each side of a comparison is, for reports: `migrations`, `live database`… */
export interface SideLabels {
  expected: string
  actual: string
}
