import path from 'node:path'
import type { Diagnostic } from '../../src/diagnostics.js'
import { lintMigrations } from '../../src/lint/run.js'
import type { LintOptions } from '../../src/lint/types.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import type { MigrationSet } from '../../src/migrations/types.js'

/** Absolute path of a lint fixture folder. */
export function fixture(name: string): string {
  return path.join(import.meta.dirname, '../fixtures/lint', name)
}

/** Discovers a fixture folder; `withoutDiscoveryFindings` drops discovery's diagnostics. */
export async function discoverFixture(
  name: string,
  withoutDiscoveryFindings = false,
): Promise<MigrationSet> {
  const set = await discoverMigrations({ migrations: fixture(name) })
  if (set.migrations.length === 0) throw new Error(`fixture ${name} has no migrations`)
  return withoutDiscoveryFindings ? { ...set, diagnostics: [] } : set
}

/** Lints a fixture folder. */
export async function lintFixture(
  name: string,
  options: LintOptions = {},
  withoutDiscoveryFindings = false,
): Promise<Diagnostic[]> {
  return lintMigrations(await discoverFixture(name, withoutDiscoveryFindings), options)
}

/** `<file>:<line>` of every diagnostic with `code`, in order. */
export function where(diagnostics: readonly Diagnostic[], code: string): string[] {
  return diagnostics
    .filter((d) => d.code === code)
    .map((d) => `${path.basename(d.file ?? '')}:${d.line}`)
}

/** The only diagnostic with `code` (throws when there is not exactly one). */
export function only(diagnostics: readonly Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code)
  if (found.length !== 1) {
    throw new Error(`expected one ${code}, got ${found.length}: ${JSON.stringify(found, null, 2)}`)
  }
  return found[0]!
}
