import { PgtestbedError } from '../errors.js'
import { withAdminClient } from './admin.js'
import { clonedDatabase, type ClonedDatabase, type CloneSource } from './clone.js'
import { isOwned, readDatabase } from './ownership.js'

/**
 * A handle on a clone made earlier, possibly by another process, found by its name: for a test
 * runner's main process that finishes what a worker could not (a test file that fails to load
 * never runs its cleanup hooks). `drop()` and `keep()` work as on the handle `cloneDatabase`
 * returned. `undefined` when the database no longer exists.
 *
 * @example
 * const db = await attachClone(info, 'pgtestbed_c_ab12cd34ef56_0123456789abcdef')
 * await db?.drop()
 * @throws PgtestbedError NOT_OWNED when the database is not a pgtestbed clone of `source.template`.
 */
export async function attachClone(
  source: Pick<CloneSource, 'adminUrl' | 'template'>,
  name: string,
): Promise<ClonedDatabase | undefined> {
  const entry = await withAdminClient(source.adminUrl, (client) => readDatabase(client, name))
  if (!entry) return undefined
  // The same guard as every drop: our prefix, our record, and here a clone of this template.
  if (
    !isOwned(entry) ||
    entry.record.kind !== 'clone' ||
    entry.record.template !== source.template
  ) {
    throw new PgtestbedError(
      'NOT_OWNED',
      `database "${name}" is not a pgtestbed clone of template "${source.template}", so pgtestbed will not drop or keep it`,
      { fix: 'Pass the name of a database cloneDatabase() created from this template.' },
    )
  }
  return clonedDatabase(source.adminUrl, source.template, name, entry.record, false)
}
