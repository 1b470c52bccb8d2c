import { PgtestbedError, isPgtestbedError } from '../errors.js'
import { createClone, type CloneOptions, type ClonedDatabase } from '../templates/clone.js'
import type { TestbedInfo } from './types.js'

/**
 * Clones the testbed's template into a fresh database for one test file, from any process that
 * received `testbed.info` (taking a pre-warmed pool database when the pool is on). The clone's
 * name is unique across processes and machines; its record names `label` (the test file).
 *
 * Test workers import it from `@pgtestbed/core/worker`, which loads only `pg` and a few small
 * modules.
 *
 * @example
 * const db = await cloneDatabase(inject('pgtestbed'), { label: 'test/users.test.ts' })
 * process.env.DATABASE_URL = db.url
 * // after the file: await db.drop() (or db.keep() on failure, and print db.url)
 * @throws PgtestbedError CLONE_FAILED, SERVER_UNREACHABLE, INVALID_OPTIONS (not a TestbedInfo).
 */
export async function cloneDatabase(
  info: TestbedInfo,
  options: CloneOptions = {},
): Promise<ClonedDatabase> {
  if (info?.v !== 1 || typeof info.adminUrl !== 'string' || typeof info.template !== 'string') {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      'cloneDatabase needs the `info` of a testbed started by this version of pgtestbed',
      {
        fix: 'Pass testbed.info from startTestbed() unchanged (it is plain JSON).',
      },
    )
  }
  try {
    return await createClone(info, options)
  } catch (error) {
    if (isPgtestbedError(error)) throw error
    throw new PgtestbedError(
      'CLONE_FAILED',
      `could not clone template "${info.template}": ${(error as Error).message}`,
      { cause: error },
    )
  }
}
