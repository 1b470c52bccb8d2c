/**
 * `MEMORY_FULL`: what happens when the RAM-backed folder holding the embedded server's data runs
 * short. PostgreSQL reports it as SQLSTATE 53100 (disk_full: "could not extend file …: No space
 * left on device", "could not write to file …") during a build or a clone; some failures reach
 * the client only as "checkpoint request failed" (XX000), and a full WAL write makes the server
 * PANIC (a lost server): then the server's log says "No space left on device".
 * pgtestbed turns each into one error that says how full the folder is, whose data fills it, and
 * the ways out.
 * @module
 */
import { PgtestbedError } from '../../errors.js'
import { isOutOfSpace } from '../../internal/out-of-space.js'
import { MEMORY_BUDGET_ENV, memorySpace, memoryUsage } from './budget.js'
import { EMBEDDED_STORAGE_ENV, formatBytes } from './storage.js'

/** What the fix of `MEMORY_FULL` says. */
const MEMORY_FULL_FIX = `Free memory: stop the servers listed and delete their data (\`pgtestbed server stop --remove-data\` in their workspace, or with \`--cache-dir <folder>\`); lower embedded.memoryBudget (or ${MEMORY_BUDGET_ENV}) so that pgtestbed evicts unused data sooner; or keep the data on disk: embedded.storage 'disk' (or ${EMBEDDED_STORAGE_ENV}=disk).`

/**
 * `MEMORY_FULL` for `memoryDir`: how full it is and which of this user's pgtestbed data folders
 * take the most (with their cache folders, running or stopped), and the fix.
 *
 * @example
 * throw memoryFullError('/dev/shm', 'building template pgtestbed_tpl_…', error)
 */
export function memoryFullError(memoryDir: string, doing: string, cause?: unknown): PgtestbedError {
  const space = memorySpace(memoryDir)
  const roots = memoryUsage(memoryDir).sort((a, b) => b.bytes - a.bytes)
  const total = roots.reduce((sum, root) => sum + root.bytes, 0)
  const listed = roots
    .slice(0, 5)
    .map(
      (root) =>
        `${formatBytes(root.bytes)} ${root.cacheDir ?? root.memoryRoot} (${root.running ? 'running' : 'stopped'}${root.kept.length > 0 ? `, ${root.kept.length} kept database(s)` : ''})`,
    )
  const whose =
    roots.length === 0
      ? 'none of it is pgtestbed data of this user'
      : `pgtestbed's data folders there take ${formatBytes(total)}: ${listed.join(', ')}${roots.length > listed.length ? `, and ${roots.length - listed.length} more` : ''}`
  const fullness = space ? ` (${formatBytes(space.free)} free of ${formatBytes(space.size)})` : ''
  return new PgtestbedError(
    'MEMORY_FULL',
    `${doing}: the embedded server keeps its data in memory and ${memoryDir} is full${fullness}; ${whose}`,
    { cause, fix: MEMORY_FULL_FIX },
  )
}

/**
 * `MEMORY_FULL` when `error` is the file system of a server's data in memory running out of space
 * (a 53100 error, or a lost server whose log says so), else `undefined`.
 *
 * @example
 * throw memoryFullOf(error, { memoryDir, logFile, doing: 'cloning …' }) ?? error
 */
export function memoryFullOf(
  error: unknown,
  where: { memoryDir: string | undefined; logFile?: string | undefined; doing: string },
): PgtestbedError | undefined {
  if (where.memoryDir === undefined || !isOutOfSpace(error, where.logFile)) return undefined
  return memoryFullError(where.memoryDir, where.doing, error)
}
