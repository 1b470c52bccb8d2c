import type { Queryable } from './admin.js'
import { encodeRecord, type OwnershipRecord } from './ownership.js'
import { POOL_CHANNEL } from './pool-claim.js'
import { DECLINED, quoteLiteral, runUnlessDeclined } from './sql.js'

/**
 * Hands a clone its test file is done with to the clone pool of the run, which drops it in the
 * background (see `ClonePool`): its record gets `released: true` and the pool is woken, in one
 * round trip instead of the drop's four. A test file then does not wait for the `DROP DATABASE`,
 * the slowest step of its clean-up.
 *
 * It does so only when no session is connected to the database and its comment is still exactly
 * `record` (the clone this process made or claimed, not kept meanwhile). Otherwise it changes
 * nothing and returns false: the caller drops the database itself, which ends those sessions
 * under its guard and names them. A released database is dropped by a pool of the same project,
 * by its `close()`, or by the next start-up sweep (`pgtestbed gc`) when no pool runs any more.
 *
 * @example
 * if (!(await releaseToPool(admin, db.name, record))) await dropDatabase(admin, db.name)
 */
export async function releaseToPool(
  client: Queryable,
  name: string,
  record: OwnershipRecord,
): Promise<boolean> {
  const released = encodeRecord({ ...record, released: true })
  // DO blocks take no parameters: every value is inlined as a quoted literal. One statement, one
  // transaction: pg_stat_activity is read from a single snapshot, and the comment and the NOTIFY
  // commit together.
  const sql = `DO $pgtestbed$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_database d
              WHERE d.datname = ${quoteLiteral(name)} AND NOT d.datistemplate
                AND shobj_description(d.oid, 'pg_database') = ${quoteLiteral(encodeRecord(record))}
                AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                                 WHERE a.datid = d.oid AND a.pid <> pg_backend_pid()))
  THEN
    EXECUTE format('COMMENT ON DATABASE %I IS %L', ${quoteLiteral(name)}, ${quoteLiteral(released)});
    PERFORM pg_notify(${quoteLiteral(POOL_CHANNEL)}, ${quoteLiteral(record.template ?? '')});
  ELSE
    RAISE EXCEPTION 'pgtestbed: % is in use or changed', ${quoteLiteral(name)} USING ERRCODE = '${DECLINED}';
  END IF;
END
$pgtestbed$`
  return runUnlessDeclined(client, sql)
}
