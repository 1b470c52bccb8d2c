import type { Queryable } from './admin.js'
import { poolNamePrefixFor, likePrefix } from './naming.js'
import { encodeRecord, RECORD_PREFIX, type OwnershipRecord } from './ownership.js'
import { quoteLiteral, sqlState } from './sql.js'

/** The NOTIFY channel pool refillers listen on; the payload is the template name. */
export const POOL_CHANNEL = 'pgtestbed_pool'

/** SQLSTATE the claim block raises when no pool database is ready (`no_data_found`). */
const POOL_EMPTY = 'P0002'

/**
 * Claims one ready pool database of `template` by renaming it to `newName` and recording it as
 * a clone, all in one round trip. Returns false when the pool is empty.
 *
 * Why a rename: `ALTER DATABASE … RENAME` of a given database succeeds for exactly one session;
 * a concurrent claimer of the same candidate blocks on its lock and then finds the name gone, so
 * it moves to the next candidate. That holds across processes and machines with no other
 * coordination. The rename, the new record and the NOTIFY that wakes the refiller commit together.
 *
 * @example
 * if (!(await claimPooledDatabase(admin, tpl, cloneName, record))) await cloneInto(admin, …)
 */
export async function claimPooledDatabase(
  client: Queryable,
  template: string,
  newName: string,
  record: OwnershipRecord,
): Promise<boolean> {
  const marker = `"template":${JSON.stringify(template)}`
  // DO blocks take no parameters: every value is inlined as a quoted literal.
  const sql = `DO $pgtestbed$
DECLARE candidate name;
BEGIN
  FOR candidate IN
    SELECT datname FROM pg_database
     WHERE datname LIKE ${quoteLiteral(likePrefix(poolNamePrefixFor(template)))}
       AND NOT datistemplate
       AND datconnlimit <> -2 -- not being dropped (an invalid database cannot be renamed)
       AND starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), ${quoteLiteral(RECORD_PREFIX)})
       AND strpos(shobj_description(oid, 'pg_database'), ${quoteLiteral(marker)}) > 0
     ORDER BY random()
  LOOP
    BEGIN
      EXECUTE format('ALTER DATABASE %I RENAME TO %I', candidate, ${quoteLiteral(newName)});
    EXCEPTION WHEN OTHERS THEN
      CONTINUE; -- another session claimed it first (or it is being dropped)
    END;
    EXECUTE format('COMMENT ON DATABASE %I IS %L', ${quoteLiteral(newName)}, ${quoteLiteral(encodeRecord(record))});
    PERFORM pg_notify(${quoteLiteral(POOL_CHANNEL)}, ${quoteLiteral(template)});
    RETURN;
  END LOOP;
  RAISE EXCEPTION 'pgtestbed pool of % is empty', ${quoteLiteral(template)} USING ERRCODE = '${POOL_EMPTY}';
END
$pgtestbed$`
  try {
    await client.query(sql)
    return true
  } catch (error) {
    if (sqlState(error) === POOL_EMPTY) return false
    throw error
  }
}
