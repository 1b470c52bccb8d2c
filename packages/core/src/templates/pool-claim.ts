import type { Queryable } from './admin.js'
import { poolNamePrefixFor } from './naming.js'
import { checkOwnership, encodeRecord, listDatabases, type OwnershipRecord } from './ownership.js'
import { DECLINED, quoteLiteral, runUnlessDeclined } from './sql.js'

/** The NOTIFY channel pool refillers listen on; the payload is the template name. */
export const POOL_CHANNEL = 'pgtestbed_pool'

/** Ready pool databases of `template` that pass the ownership check, with their exact comment. */
async function candidates(
  client: Queryable,
  template: string,
): Promise<Array<{ name: string; comment: string }>> {
  const entries = await listDatabases(client, poolNamePrefixFor(template))
  return entries
    .filter((entry) => {
      const verdict = checkOwnership(entry)
      return (
        verdict.owned &&
        verdict.record.kind === 'pool' &&
        verdict.record.template === template &&
        !entry.isTemplate
      )
    })
    .map((entry) => ({ name: entry.name, comment: entry.comment ?? '' }))
}

/**
 * Claims one ready pool database of `template` by renaming it to `newName` and recording it as
 * a clone. Returns false when the pool is empty.
 *
 * Only databases that pass the ownership check (`checkOwnership`: a pool record for this very
 * template under a pool name) are candidates; a lookalike whose comment merely starts with
 * `pgtestbed:` or mentions the template is never claimed. The claim itself re-checks, inside the
 * transaction that renames, that the comment is still exactly the record that was checked.
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
  const ready = await candidates(client, template)
  if (ready.length === 0) return false
  // Random order: concurrent claimers spread over the candidates instead of queueing on one.
  const shuffled = ready
    .map((c) => ({ c, k: Math.random() }))
    .sort((a, b) => a.k - b.k)
    .map(({ c }) => c)
  const list = (values: string[]) => `ARRAY[${values.map(quoteLiteral).join(', ')}]::text[]`
  // DO blocks take no parameters: every value is inlined as a quoted literal.
  const sql = `DO $pgtestbed$
DECLARE
  names text[] := ${list(shuffled.map((c) => c.name))};
  comments text[] := ${list(shuffled.map((c) => c.comment))};
  i int;
BEGIN
  FOR i IN 1 .. array_length(names, 1) LOOP
    -- Still the very database that passed the ownership check: same name, same record.
    CONTINUE WHEN NOT EXISTS (
      SELECT 1 FROM pg_database
       WHERE datname = names[i] AND NOT datistemplate
         AND datconnlimit <> -2 -- not being dropped (an invalid database cannot be renamed)
         AND shobj_description(oid, 'pg_database') = comments[i]);
    BEGIN
      EXECUTE format('ALTER DATABASE %I RENAME TO %I', names[i], ${quoteLiteral(newName)});
    EXCEPTION WHEN OTHERS THEN
      CONTINUE; -- another session claimed it first (or it is being dropped)
    END;
    EXECUTE format('COMMENT ON DATABASE %I IS %L', ${quoteLiteral(newName)}, ${quoteLiteral(encodeRecord(record))});
    PERFORM pg_notify(${quoteLiteral(POOL_CHANNEL)}, ${quoteLiteral(template)});
    RETURN;
  END LOOP;
  RAISE EXCEPTION 'pgtestbed pool of % is empty', ${quoteLiteral(template)} USING ERRCODE = '${DECLINED}';
END
$pgtestbed$`
  return runUnlessDeclined(client, sql)
}
