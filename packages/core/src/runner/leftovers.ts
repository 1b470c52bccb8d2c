import { formatError } from '../diagnostics.js'
import type { Reporter } from '../progress.js'
import { attachClone } from '../templates/attach.js'
import { forgetOpenDatabase, isProcessAlive, readOpenDatabases } from '../worker/run-notes.js'

/**
 * Drops the databases of test files that never finished them: a file that fails to load (a
 * syntax error, a throwing import) runs none of its hooks in some runners, and a worker may
 * crash. Such a file failed before its tests ran, so there is no test state worth keeping. With
 * `all: false` (watch mode, between runs) only databases whose worker has exited are dropped.
 *
 * @example
 * await dropLeftovers(runDir, reporter, { all: true }) // every file of the run has finished
 */
export async function dropLeftovers(
  runDir: string,
  reporter: Reporter,
  { all }: { all: boolean },
): Promise<void> {
  for (const open of readOpenDatabases(runDir)) {
    if (!all && isProcessAlive(open.pid)) continue
    try {
      const db = await attachClone(open, open.name)
      await db?.drop()
    } catch (error) {
      reporter.warn(
        `could not drop the database ${open.name} of ${open.file} (the file did not finish): ${formatError(error)}`,
      )
    }
    forgetOpenDatabase(runDir, open.name)
  }
}
