/**
 * The catalog queries `inspectSchema` runs, one per kind of object. They read only `pg_catalog`
 * and PostgreSQL's own deparsers (`pg_get_indexdef`, `pg_get_viewdef`…), so a definition reads
 * the same whichever SQL created it. Every name is selected as `text`: a `name` column in a
 * UNION types the whole column as `name`, and PostgreSQL then cuts every value at 63 bytes
 * (two constraints of a long-named table would share a key).
 *
 * The caller sets `search_path` to `pg_catalog` first, so the deparsers qualify every user
 * object with its schema whatever the database's own search_path says.
 * @module
 */

/** User schemas: not PostgreSQL's own, not temporary or TOAST schemas. */
const USER_SCHEMAS = `ns AS (
  SELECT oid, nspname::text AS nspname FROM pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
)`

/** True when the object is a member of an extension (the extension is compared, not its objects). */
const notInExtension = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`

/** The relations whose children (columns, constraints, indexes, triggers, policies) are read. */
const USER_RELATIONS = `${USER_SCHEMAS},
rel AS (
  SELECT c.oid, c.relkind FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${notInExtension('pg_class', 'c.oid')}
)`

export const SESSION_SQL = `SELECT current_schema()::text AS schema, current_setting('server_version_num')::int AS version`

export const SCHEMAS_SQL = `WITH ${USER_SCHEMAS}
SELECT ns.nspname AS name, obj_description(ns.oid, 'pg_namespace') AS comment
  FROM ns WHERE ${notInExtension('pg_namespace', 'ns.oid')}`

export const EXTENSIONS_SQL = `SELECT e.extname::text AS name, e.extversion::text AS version, n.nspname::text AS schema,
       obj_description(e.oid, 'pg_extension') AS comment
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`

// A qualified name as PostgreSQL would write it (quote_ident rules).
const qualified = (schema: string, name: string) => `format('%I.%I', ${schema}, ${name})`

export const RELATIONS_SQL = `WITH ${USER_RELATIONS}
SELECT c.oid::text AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS relkind,
       c.relpersistence::text AS persistence, c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN
         (SELECT ${qualified('pn.nspname', 'pc.relname')} || ' ' || pg_get_expr(c.relpartbound, c.oid, true)
            FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END AS partition_of,
       CASE WHEN NOT c.relispartition THEN
         (SELECT string_agg(${qualified('pn.nspname', 'pc.relname')}, ', ' ORDER BY i.inhseqno)
            FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END AS inherits,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS view_definition,
       array_to_string(c.reloptions, ', ') AS options,
       obj_description(c.oid, 'pg_class') AS comment
  FROM rel JOIN pg_class c ON c.oid = rel.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY 2, 3`

// Identity sequences belong to their column (deptype 'i') and are compared there.
export const SEQUENCES_SQL = `WITH ${USER_SCHEMAS}
SELECT ns.nspname AS schema, c.relname::text AS name, format_type(s.seqtypid, NULL) AS type,
       s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
       s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
       o.owner_schema, o.owner_table, o.owner_column,
       obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
  LEFT JOIN LATERAL (
    SELECT tn.nspname::text AS owner_schema, t.relname::text AS owner_table, a.attname::text AS owner_column
      FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
       AND d.deptype = 'a'
     LIMIT 1) o ON true
 WHERE c.relkind = 'S' AND ${notInExtension('pg_class', 'c.oid')}
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')`

// Position counts the columns that exist, so a column dropped long ago does not shift the rest.
export const COLUMNS_SQL = `WITH ${USER_RELATIONS}
SELECT a.attrelid::text AS relid, a.attname::text AS name,
       row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)::int AS position,
       format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid, true) END AS default_value,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid, true) END AS generated,
       a.attidentity::text AS identity,
       CASE WHEN a.attcollation <> t.typcollation THEN
         (SELECT CASE WHEN cn.nspname = 'pg_catalog' THEN format('%I', co.collname)
                      ELSE ${qualified('cn.nspname', 'co.collname')} END
            FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
           WHERE co.oid = a.attcollation) END AS collation,
       (SELECT format('start %s, increment %s, min %s, max %s, cache %s, %s', s.seqstart, s.seqincrement,
                      s.seqmin, s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN 'cycle' ELSE 'no cycle' END)
          FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid
         WHERE a.attidentity <> '' AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
           AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.deptype = 'i') AS identity_options,
       col_description(a.attrelid, a.attnum) AS comment
  FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE rel.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped`

// NOT NULL constraints of PostgreSQL 18 (contype 'n') are compared as the column's nullability.
export const CONSTRAINTS_SQL = `WITH ${USER_RELATIONS}
SELECT co.conrelid::text AS relid, co.conname::text AS name, co.contype::text AS type,
       pg_get_constraintdef(co.oid, true) AS definition, co.convalidated AS validated,
       obj_description(co.oid, 'pg_constraint') AS comment
  FROM rel JOIN pg_constraint co ON co.conrelid = rel.oid
 WHERE co.contype <> 'n'`

// An index that implements a primary key, unique or exclusion constraint is that constraint's.
export const INDEXES_SQL = `WITH ${USER_RELATIONS}
SELECT i.indrelid::text AS relid, ic.relname::text AS name, am.amname::text AS method,
       i.indisunique AS is_unique, pg_get_indexdef(i.indexrelid) AS definition,
       (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ', ' ORDER BY k)
          FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k) AS include,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       obj_description(i.indexrelid, 'pg_class') AS comment,
       EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
                  AND co.contype IN ('p', 'u', 'x')) AS of_constraint
  FROM rel JOIN pg_index i ON i.indrelid = rel.oid
  JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam`

export const TYPES_SQL = `WITH ${USER_SCHEMAS}
SELECT ns.nspname AS schema, t.typname::text AS name, t.typtype::text AS typtype,
       CASE WHEN t.typtype = 'e' THEN
         (SELECT json_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text
       END AS labels,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       t.typnotnull AS not_null, t.typdefault AS default_value,
       CASE WHEN t.typtype = 'd' THEN
         (SELECT string_agg(format('%I %s', co.conname, pg_get_constraintdef(co.oid, true)), ', ' ORDER BY co.conname)
            FROM pg_constraint co WHERE co.contypid = t.oid AND co.contype = 'c') END AS checks,
       CASE WHEN t.typtype = 'd' THEN
         (SELECT string_agg(format('CONSTRAINT %I %s', co.conname, pg_get_constraintdef(co.oid, true)), ' ' ORDER BY co.conname)
            FROM pg_constraint co WHERE co.contypid = t.oid AND co.contype = 'c') END AS check_clauses,
       CASE WHEN t.typtype = 'c' THEN
         (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS fields,
       CASE WHEN t.typtype = 'r' THEN
         (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) END AS subtype,
       obj_description(t.oid, 'pg_type') AS comment
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
 WHERE (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')))
   AND ${notInExtension('pg_type', 't.oid')}`

/** Functions, procedures and aggregates; SQL-standard bodies (PostgreSQL 14+) are deparsed. */
export function functionsSql(serverVersion: number): string {
  const body =
    serverVersion >= 140000
      ? 'CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END'
      : 'p.prosrc'
  return `WITH ${USER_SCHEMAS}
SELECT ns.nspname AS schema, p.proname::text AS name, pg_get_function_identity_arguments(p.oid) AS args,
       p.prokind::text AS prokind,
       CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS definition,
       pg_get_function_result(p.oid) AS result, l.lanname::text AS language, ${body} AS body,
       p.provolatile::text AS volatility, p.proisstrict AS strict, p.prosecdef AS security_definer,
       p.proparallel::text AS parallel, array_to_string(p.proconfig, ', ') AS config,
       (SELECT format('sfunc %s, stype %s', a.aggtransfn::regproc, format_type(a.aggtranstype, NULL))
          FROM pg_aggregate a WHERE a.aggfnoid = p.oid) AS aggregate,
       obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
 WHERE ${notInExtension('pg_proc', 'p.oid')}`
}

export const TRIGGERS_SQL = `WITH ${USER_RELATIONS}
SELECT t.tgrelid::text AS relid, t.tgname::text AS name, pg_get_triggerdef(t.oid, true) AS definition,
       t.tgenabled::text AS enabled, obj_description(t.oid, 'pg_trigger') AS comment
  FROM rel JOIN pg_trigger t ON t.tgrelid = rel.oid
 WHERE NOT t.tgisinternal`

export const POLICIES_SQL = `WITH ${USER_RELATIONS}
SELECT p.polrelid::text AS relid, p.polname::text AS name, p.polcmd::text AS command,
       p.polpermissive AS permissive,
       CASE WHEN p.polroles = '{0}'::oid[] THEN 'PUBLIC'
            ELSE (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname)
                    FROM pg_roles r WHERE r.oid = ANY (p.polroles)) END AS roles,
       pg_get_expr(p.polqual, p.polrelid, true) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid, true) AS check_expr,
       obj_description(p.oid, 'pg_policy') AS comment
  FROM rel JOIN pg_policy p ON p.polrelid = rel.oid`
