import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MigrationsOptions } from '../../src/config/types.js'
import type { Diagnostic, DiagnosticCode } from '../../src/diagnostics.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import type { MigrationSet } from '../../src/migrations/types.js'

/** The folder that holds one sub-folder per discovery/validation scenario. */
export const MIGRATION_FIXTURES = fileURLToPath(new URL('../fixtures/migrations/', import.meta.url))

/** Absolute path of a file (or folder) inside a scenario folder. */
export const fixturePath = (...parts: string[]): string => path.join(MIGRATION_FIXTURES, ...parts)

/** Discovers one fixture folder. */
export function discoverFixture(
  name: string,
  options: MigrationsOptions = {},
): Promise<MigrationSet> {
  return discoverMigrations({ cwd: MIGRATION_FIXTURES, migrations: name, ...options })
}

/** The diagnostics with `code`, in the order they were reported. */
export const withCode = (set: { diagnostics: Diagnostic[] }, code: DiagnosticCode): Diagnostic[] =>
  set.diagnostics.filter((d) => d.code === code)

/** The one diagnostic with `code` (throws when there are none or several, to keep tests honest). */
export function single(set: { diagnostics: Diagnostic[] }, code: DiagnosticCode): Diagnostic {
  const found = withCode(set, code)
  if (found.length !== 1) {
    throw new Error(
      `expected one ${code}, got ${found.length}: ${JSON.stringify(set.diagnostics, null, 2)}`,
    )
  }
  return found[0]!
}
