import { createHash } from 'node:crypto'
import { PgtestbedError } from '@pgtestbed/core/worker'
import type { PgtestbedConfig } from '@pgtestbed/core'

// The part of the options every test file's environment needs: cheap, and on core's small
// worker entry only. Checking options against core's rules and preparing a testbed (options.ts,
// prepare.ts) load all of core, which a file whose project globalSetup prepared never needs.

/**
 * Options of `@pgtestbed/jest`, written under `testEnvironmentOptions.pgtestbed` in a Jest config
 * (or in a `pgtestbed.config.*` file shared with the CLI). They are the keys of a
 * `pgtestbed.config.*` file; every one is optional.
 *
 * Relative paths (`migrations`, `seeds`, `cacheDir`) are relative to the Jest project's `rootDir`.
 * Jest options win over the file, key by key (top-level keys: an `embedded` object in the Jest
 * config replaces the file's whole `embedded` object).
 *
 * @example
 * // jest.config.js
 * module.exports = {
 *   preset: '@pgtestbed/jest',
 *   testEnvironmentOptions: { pgtestbed: { migrations: './drizzle' } },
 * }
 */
export type PgtestbedJestOptions = PgtestbedConfig

/** The key of `testEnvironmentOptions` our options live under. */
export const OPTIONS_KEY = 'pgtestbed'

/** The part of a Jest project config we read (the same in Jest 29 and 30). */
export interface JestProjectConfig {
  rootDir: string
  displayName?: { name: string } | undefined
  testEnvironmentOptions?: Record<string, unknown>
}

/** One Jest project's pgtestbed options, as written in its Jest config. */
export interface ProjectOptions {
  rootDir: string
  options: PgtestbedJestOptions
}

/** Where messages say the options of a project are written. */
export function optionsPlace(config: JestProjectConfig): string {
  return `testEnvironmentOptions.${OPTIONS_KEY} of the Jest project in ${config.rootDir}`
}

/**
 * `testEnvironmentOptions.pgtestbed` of a project config, with only its shape checked (an
 * object); `readProjectOptions` in options.ts checks every key.
 *
 * @throws PgtestbedError INVALID_OPTIONS when it is not an object.
 */
export function projectOptionsOf(config: JestProjectConfig): ProjectOptions {
  const raw = config.testEnvironmentOptions?.[OPTIONS_KEY]
  if (raw === undefined) return { rootDir: config.rootDir, options: {} }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PgtestbedError('INVALID_OPTIONS', `${optionsPlace(config)} must be an object`, {
      fix: `write it as ${OPTIONS_KEY}: { migrations: './migrations' }`,
    })
  }
  // Keys set to undefined in a JS config mean "not set" (they vanish on the way to workers anyway).
  const defined = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined))
  return { rootDir: config.rootDir, options: defined as PgtestbedJestOptions }
}

/**
 * A short key for a project's testbed: its `rootDir` and the options that shape the template
 * (not `envVar`/`keepOnFailure`, which only change what a test file sees). The same in globalSetup
 * and in every worker, so a worker finds the testbed globalSetup prepared for its project.
 */
export function projectKey(project: ProjectOptions): string {
  const { envVar: _envVar, keepOnFailure: _keep, ...shaping } = project.options
  return createHash('sha256')
    .update(stableJson({ rootDir: project.rootDir, options: shaping }))
    .digest('hex')
    .slice(0, 16)
}

/** JSON with object keys sorted, so equal options give equal text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  )
}
