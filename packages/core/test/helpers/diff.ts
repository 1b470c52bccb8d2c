import { withAdminClient } from '../../src/templates/admin.js'
import { listDatabases } from '../../src/templates/ownership.js'
import { queryRows, TEST_SERVER_URL } from './pg.js'

/**
 * A digest of a database's catalog: every row (by oid or key) of the catalogs that hold the
 * schema, with the transaction that last wrote it (`xmin`). Any write to the schema, however
 * small (a comment, a default, a statistics-free ALTER), changes it; autovacuum's in-place
 * updates of relpages and reltuples do not.
 */
export async function catalogDigest(url: string): Promise<string> {
  const rows = await queryRows<{ digest: string; rows: number }>(
    url,
    `SELECT md5(string_agg(x, E'\\n' ORDER BY x)) AS digest, count(*)::int AS rows FROM (
       SELECT concat_ws(' ', 'class', oid, xmin, relname, relkind, reloptions) AS x FROM pg_class
       UNION ALL SELECT concat_ws(' ', 'attribute', attrelid, attnum, xmin, attname, atttypid, attnotnull) FROM pg_attribute
       UNION ALL SELECT concat_ws(' ', 'type', oid, xmin, typname) FROM pg_type
       UNION ALL SELECT concat_ws(' ', 'proc', oid, xmin, proname, md5(prosrc)) FROM pg_proc
       UNION ALL SELECT concat_ws(' ', 'constraint', oid, xmin, conname) FROM pg_constraint
       UNION ALL SELECT concat_ws(' ', 'index', indexrelid, xmin) FROM pg_index
       UNION ALL SELECT concat_ws(' ', 'namespace', oid, xmin, nspname) FROM pg_namespace
       UNION ALL SELECT concat_ws(' ', 'description', objoid, classoid, objsubid, xmin, md5(description)) FROM pg_description
       UNION ALL SELECT concat_ws(' ', 'trigger', oid, xmin) FROM pg_trigger
       UNION ALL SELECT concat_ws(' ', 'policy', oid, xmin) FROM pg_policy
       UNION ALL SELECT concat_ws(' ', 'enum', oid, xmin, enumlabel) FROM pg_enum
       UNION ALL SELECT concat_ws(' ', 'attrdef', oid, xmin) FROM pg_attrdef
       UNION ALL SELECT concat_ws(' ', 'sequence', seqrelid, xmin, seqincrement) FROM pg_sequence
       UNION ALL SELECT concat_ws(' ', 'depend', classid, objid, objsubid, refobjid, deptype) FROM pg_depend
       UNION ALL SELECT concat_ws(' ', 'extension', oid, xmin) FROM pg_extension
     ) catalog`,
  )
  return `${rows[0]!.digest} (${rows[0]!.rows} rows)`
}

/** Names of the scratch databases (`pgtestbed_s_…`) whose record names `project`. */
export async function scratchDatabases(project: string): Promise<string[]> {
  return withAdminClient(TEST_SERVER_URL, async (c) =>
    (await listDatabases(c, 'pgtestbed_s_'))
      .filter((e) => e.record?.project === project)
      .map((e) => e.name),
  )
}
