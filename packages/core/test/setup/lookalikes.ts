import { randomBytes } from 'node:crypto'
import { templateNameFor } from '../../src/templates/naming.js'
import { createLookalikes } from '../helpers/lookalikes.js'

/**
 * Global setup of the core suite: foreign databases that imitate pgtestbed's (our name prefixes,
 * comments that start with `pgtestbed:` but are no valid record, no comment at all) sit on the
 * test server for the whole run, as they may on a shared server. No test may claim, keep, drop or
 * choke on them; teardown drops them. Without a reachable server (unit tests alone) it does nothing.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const template = templateNameFor(randomBytes(32).toString('hex'))
  const made = await createLookalikes(template).catch(() => undefined)
  return async () => {
    await made?.drop().catch(() => {})
  }
}
