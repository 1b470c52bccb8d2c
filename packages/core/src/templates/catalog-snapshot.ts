import type { Queryable } from './admin.js'
import type { VersionTable } from '../migrations/types.js'
import { quoteQualified } from '../internal/quote-ident.js'

/**
 * The user-visible schema of a database as a map from object key (`table public.users`,
 * `column public.users.email`) to its definition, for comparing two states of one database.
 * The version table (and its indexes, sequences, constraints) is left out: rolling a migration
 * back changes its rows, not the schema the migration made.
 */
export type CatalogSnapshot = Map<string, string>

const RELKINDS: Record<string, string> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  S: 'sequence',
  i: 'index',
  I: 'partitioned index',
  f: 'foreign table',
  c: 'composite type',
}

// Objects in user schemas, without extension members (an extension is one object) and without
// the version table's own objects. One round trip per snapshot.
const SNAPSHOT_SQL = `
WITH vt AS (SELECT to_regclass($1) AS oid),
ns AS (
  SELECT oid, nspname FROM pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_)'
),
ext AS (SELECT objid, classid FROM pg_depend WHERE deptype = 'e'),
rel AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind::text AS relkind
    FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
   WHERE c.oid IS DISTINCT FROM (SELECT oid FROM vt)
     AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid AND i.indrelid = (SELECT oid FROM vt))
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                       AND d.refobjid = (SELECT oid FROM vt) AND d.deptype IN ('a', 'i'))
     AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
     AND c.relkind <> 't'
)
SELECT 'schema' AS kind, nspname AS name, '' AS detail FROM ns WHERE nspname IS DISTINCT FROM $2
UNION ALL
SELECT 'rel:' || relkind, nspname || '.' || relname, '' FROM rel
UNION ALL
SELECT 'column', r.nspname || '.' || r.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE r.relkind NOT IN ('i', 'I', 'S')
UNION ALL
SELECT 'index', r.nspname || '.' || r.relname, pg_get_indexdef(r.oid) FROM rel r WHERE r.relkind IN ('i', 'I')
UNION ALL
SELECT 'constraint', r.nspname || '.' || r.relname || '.' || co.conname, pg_get_constraintdef(co.oid)
  FROM rel r JOIN pg_constraint co ON co.conrelid = r.oid
UNION ALL
SELECT 'view', r.nspname || '.' || r.relname, pg_get_viewdef(r.oid) FROM rel r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'trigger', r.nspname || '.' || r.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
  FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'policy', r.nspname || '.' || r.relname || '.' || p.polname, coalesce(pg_get_expr(p.polqual, p.polrelid), '')
  FROM rel r JOIN pg_policy p ON p.polrelid = r.oid
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       md5(coalesce(p.prosrc, ''))
  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
 WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname,
       t.typtype::text || coalesce(' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                           FROM pg_enum e WHERE e.enumtypid = t.oid), '')
  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
 WHERE (t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT 'extension', extname, extversion FROM pg_extension
`

/**
 * Reads the schema objects of the connected database (see {@link CatalogSnapshot}).
 *
 * @example
 * const before = await snapshotCatalog(client, set.versionTable)
 */
export async function snapshotCatalog(
  client: Queryable,
  versionTable: VersionTable,
): Promise<CatalogSnapshot> {
  const { rows } = await client.query<{ kind: string; name: string; detail: string }>(
    SNAPSHOT_SQL,
    [quoteQualified(versionTable.schema, versionTable.table), versionTable.schema ?? null],
  )
  const snapshot: CatalogSnapshot = new Map()
  for (const row of rows) {
    const kind = row.kind.startsWith('rel:')
      ? (RELKINDS[row.kind.slice(4)] ?? 'relation')
      : row.kind
    snapshot.set(`${kind} ${row.name}`, row.detail)
  }
  return snapshot
}

/** How a snapshot differs from an expected one. */
export interface CatalogDiff {
  /** Objects present that were not expected (left behind). */
  extra: string[]
  /** Expected objects that are gone. */
  missing: string[]
  /** Objects whose definition differs: `column public.t.a: text → integer`. */
  changed: string[]
}

/** Compares `actual` with `expected`; all lists are sorted. */
export function diffCatalog(expected: CatalogSnapshot, actual: CatalogSnapshot): CatalogDiff {
  const extra: string[] = []
  const missing: string[] = []
  const changed: string[] = []
  for (const [key, detail] of actual) {
    const want = expected.get(key)
    if (want === undefined) extra.push(key)
    else if (want !== detail) changed.push(`${key}: ${want || '(none)'} → ${detail || '(none)'}`)
  }
  for (const key of expected.keys()) if (!actual.has(key)) missing.push(key)
  return { extra: extra.sort(), missing: missing.sort(), changed: changed.sort() }
}

/** True when the diff is empty. */
export function isSameCatalog(diff: CatalogDiff): boolean {
  return diff.extra.length === 0 && diff.missing.length === 0 && diff.changed.length === 0
}
