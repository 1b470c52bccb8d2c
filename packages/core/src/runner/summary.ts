import { createConsoleReporter, type Reporter } from '../progress.js'
import { serverStopCommand } from '../servers/embedded/stop-command.js'
import type { KeptDatabase } from '../worker/run-notes.js'
import { plural } from '../internal/plural.js'

/**
 * The end-of-run list of databases kept for debugging (URLs with the password masked, as the
 * workers noted them), and how to stop an embedded server left up so those URLs work.
 *
 * @example
 * printKeptDatabases(readKeptDatabases(runDir), keptServerCacheDirs)
 */
export function printKeptDatabases(
  kept: readonly KeptDatabase[],
  keptServers: Iterable<string>,
  reporter: Reporter = createConsoleReporter(),
): void {
  if (kept.length === 0) return
  const lines = kept.map((k) => `  ${k.project ? `${k.project} › ` : ''}${k.file}  ${k.url}`)
  reporter.warn(
    `kept ${plural(kept.length, 'database')} of failed test file${kept.length === 1 ? '' : 's'} for debugging (keepOnFailure):\n${lines.join('\n')}`,
  )
  for (const cacheDir of keptServers) {
    reporter.info(
      `the embedded PostgreSQL server stays up so these URLs work; a later run that keeps no database stops it, or stop it now with:\n  ${serverStopCommand(cacheDir)}`,
    )
  }
}
