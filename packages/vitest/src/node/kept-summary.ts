import { createConsoleReporter, serverStopCommand } from '@pgtestbed/core'
import type { KeptDatabase } from '../run-notes.js'

/**
 * The end-of-run list of databases kept for debugging, and how to stop an embedded server that
 * stays up for them.
 */
export function printKeptDatabases(
  kept: readonly KeptDatabase[],
  keptServers: ReadonlySet<string>,
): void {
  if (kept.length === 0) return
  const reporter = createConsoleReporter()
  const lines = kept.map((k) => `  ${k.project ? `${k.project} › ` : ''}${k.file}  ${k.url}`)
  const n = kept.length
  reporter.warn(
    `kept ${n} database${n === 1 ? '' : 's'} of failed test file${n === 1 ? '' : 's'} for debugging (keepOnFailure):\n${lines.join('\n')}\n(a later run's start-up sweep drops kept databases after 3 days)`,
  )
  for (const cacheDir of keptServers) {
    reporter.info(
      `the embedded PostgreSQL server stays up so these URLs work; a later run that keeps no database stops it, or stop it now with:\n  ${serverStopCommand(cacheDir)}`,
    )
  }
}
