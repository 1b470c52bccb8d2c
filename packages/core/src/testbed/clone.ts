import { PgtestbedError, isPgtestbedError } from '../errors.js'
import { isOutOfSpace } from '../internal/out-of-space.js'
import { createClone, type CloneOptions, type ClonedDatabase } from '../templates/clone.js'
import type { TestbedInfo } from './types.js'

/**
 * `MEMORY_FULL` when the clone failed because the folder holding the embedded server's data in
 * memory is full. A worker loads none of the servers' code, so the fix points at `server status`
 * for who uses the memory (the build's `MEMORY_FULL` lists it).
 */
function cloneMemoryFull(info: TestbedInfo, error: unknown): PgtestbedError | undefined {
  if (info.server?.storage?.medium !== 'memory' || !isOutOfSpace(error, info.serverLog)) {
    return undefined
  }
  return new PgtestbedError(
    'MEMORY_FULL',
    `could not clone template "${info.template}": the embedded server keeps its data in memory and that folder (/dev/shm, or embedded.memoryDir) is full (${(error as Error).message})`,
    {
      cause: error,
      fix: "`pgtestbed server status` shows how full it is and whose data fills it. Free memory: stop those servers and delete their data (`pgtestbed server stop --remove-data`, with `--cache-dir <folder>` for another workspace's); lower embedded.memoryBudget (or PGTESTBED_EMBEDDED_MEMORY_BUDGET) so that pgtestbed evicts unused data sooner; or keep the data on disk: embedded.storage 'disk' (or PGTESTBED_EMBEDDED_STORAGE=disk).",
    },
  )
}

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
    const full = cloneMemoryFull(info, error)
    if (full) throw full
    if (isPgtestbedError(error)) throw error
    throw new PgtestbedError(
      'CLONE_FAILED',
      `could not clone template "${info.template}": ${(error as Error).message}`,
      { cause: error },
    )
  }
}
