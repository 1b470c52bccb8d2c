import type { Reporter } from '@pgtestbed/core'
import {
  attachClone,
  forgetOpenDatabase,
  formatError,
  isProcessAlive,
  readOpenDatabases,
} from '@pgtestbed/core/runner'

/**
 * Drops the databases of test files that never finished them: a file that fails to load (a
 * syntax error, a throwing import) runs none of its hooks, and a worker may crash. Such a file
 * failed before its tests ran, so there is no test state worth keeping. With `all: false` (watch
 * mode, between runs) only databases whose worker has exited are dropped.
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
