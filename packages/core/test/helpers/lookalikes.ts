import { randomBytes } from 'node:crypto'
import { quoteIdent, quoteLiteral } from '../../src/templates/sql.js'
import { poolNamePrefixFor } from '../../src/templates/naming.js'
import { encodeRecord, newRecord } from '../../src/templates/ownership.js'
import { withAdmin } from './pg.js'

/** A foreign database that looks like one of pgtestbed's, and why it is not. */
export interface Lookalike {
  name: string
  comment: string | null
}

/**
 * Foreign databases that imitate pgtestbed's: our name prefixes with a comment that is not a
 * valid record (not JSON, a bare `"template":…` fragment, a record of the wrong kind for its
 * name, no comment at all). pgtestbed must never claim, keep or drop any of them.
 *
 * @example
 * const made = await createLookalikes(template); try { … } finally { await made.drop() }
 */
export async function createLookalikes(
  template: string,
): Promise<{ databases: Lookalike[]; drop: () => Promise<void> }> {
  const id = randomBytes(3).toString('hex')
  const pool = poolNamePrefixFor(template)
  const databases: Lookalike[] = [
    { name: `${pool}x${id}`, comment: 'pgtestbed:not json' },
    { name: `${pool}frag${id}`, comment: `pgtestbed:{"template":${JSON.stringify(template)}}` },
    {
      name: `${pool}kind${id}`,
      comment: encodeRecord({
        ...newRecord({ kind: 'clone', project: 'lookalike', template }),
        pid: 1,
      }),
    },
    { name: `${pool}none${id}`, comment: null },
    { name: `pgtestbed_c_lookalike_${id}`, comment: 'pgtestbed:[]' },
  ]
  await withAdmin(async (admin) => {
    for (const db of databases) {
      await admin.query(`CREATE DATABASE ${quoteIdent(db.name)} TEMPLATE template0`)
      if (db.comment !== null) {
        await admin.query(
          `COMMENT ON DATABASE ${quoteIdent(db.name)} IS ${quoteLiteral(db.comment)}`,
        )
      }
    }
  })
  return {
    databases,
    drop: () =>
      withAdmin(async (admin) => {
        for (const db of databases) {
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(db.name)} WITH (FORCE)`)
        }
      }),
  }
}
