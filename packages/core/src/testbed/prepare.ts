import path from 'node:path'
import { displayPath, hasErrors, throwIfErrors, type Diagnostic } from '../diagnostics.js'
import { diffConfigProblems, driftProblems } from '../diff/drift-options.js'
import { PgtestbedError } from '../errors.js'
import { discoverMigrations } from '../migrations/files/discover.js'
import { checkManifest, declaredManifest } from '../migrations/files/manifest.js'
import { checkMigrateOptions, resolveMigrator } from '../migrations/migrator/resolve.js'
import { isMigratorSet, type SchemaSet } from '../migrations/migrator/types.js'
import { computeFingerprint, type Fingerprint } from '../templates/fingerprint.js'
import { resolveSeeds, type SeedFile } from '../templates/seeds.js'
import type { TestbedOptions } from './types.js'

/** The migrations, checked, with everything the template needs. */
export interface PreparedMigrations {
  set: SchemaSet
  /** Warnings from every check (errors have thrown). */
  warnings: Diagnostic[]
  seeds: SeedFile[]
}

const STRATEGIES = ['auto', 'wal_log', 'file_copy']

/** Throws `INVALID_OPTIONS` for option values that are mistakes in code. */
export function checkTestbedOptions(options: TestbedOptions): void {
  const fail = (message: string, fix: string) => {
    throw new PgtestbedError('INVALID_OPTIONS', message, { fix })
  }
  if (options.pool !== undefined && !(Number.isInteger(options.pool) && options.pool >= 0)) {
    fail(
      `pool must be a whole number ≥ 0, got ${JSON.stringify(options.pool)}`,
      'Use pool: 0 (off) or e.g. pool: 4, or leave it out for one ready clone per worker (at least 4).',
    )
  }
  if (
    options.workers !== undefined &&
    !(Number.isInteger(options.workers) && options.workers >= 1)
  ) {
    fail(
      `workers must be a whole number ≥ 1, got ${JSON.stringify(options.workers)}`,
      'Pass the number of test files your runner runs at once, e.g. workers: 4.',
    )
  }
  if (options.cloneStrategy !== undefined && !STRATEGIES.includes(options.cloneStrategy)) {
    fail(
      `cloneStrategy must be 'auto', 'wal_log' or 'file_copy', got ${JSON.stringify(options.cloneStrategy)}`,
      "Use cloneStrategy: 'auto' (the default).",
    )
  }
  if (options.lockTimeoutMs !== undefined && !(options.lockTimeoutMs > 0)) {
    fail(
      `lockTimeoutMs must be a positive number of milliseconds, got ${JSON.stringify(options.lockTimeoutMs)}`,
      'Use e.g. lockTimeoutMs: 300000 (5 minutes, the default).',
    )
  }
  const m = options.manifest
  if (
    m !== undefined &&
    m !== false &&
    m !== 'auto' &&
    typeof m !== 'string' &&
    !Array.isArray(m)
  ) {
    fail(
      `manifest must be a path, a list of file names, false or 'auto', got ${JSON.stringify(m)}`,
      "Use manifest: 'auto' (the default).",
    )
  }
  if (options.lint !== undefined && typeof options.lint !== 'function') {
    fail('lint must be a function (set) => Diagnostic[]', 'Pass a function, or leave lint out.')
  }
  const driftIssues = options.drift === undefined ? [] : driftProblems(options.drift, 'drift')
  const diffIssues = options.diff === undefined ? [] : diffConfigProblems(options.diff, 'diff')
  if (driftIssues.length + diffIssues.length > 0) {
    fail(
      [...driftIssues, ...diffIssues].join('; '),
      "e.g. drift: { command: 'npx drizzle-kit push --force', inputs: ['src/db/schema.ts'] }, diff: { ignore: ['table public.audit_*'] }",
    )
  }
  if (options.migrate !== undefined) {
    checkMigrateOptions(options.migrate)
    if (options.verifyDown) {
      fail(
        'verifyDown needs Down sections pgtestbed reads, and a migrate command or function has none it can see',
        'Remove verifyDown, or the migrate option.',
      )
    }
  }
}

/**
 * What builds the template: the `migrate` command or function with its inputs when the option is
 * set, else the migrations discovered in the `migrations` folder.
 *
 * @example
 * const set = await discoverSchema({ migrate: { command: 'npx knex migrate:latest', inputs: ['migrations/**'] } })
 */
export function discoverSchema(options: TestbedOptions): Promise<SchemaSet> {
  return options.migrate === undefined
    ? discoverMigrations(options)
    : resolveMigrator(options.migrate, path.resolve(options.cwd ?? process.cwd()))
}

/**
 * Discovers the migrations (or resolves the migrate command's inputs) and runs every check that
 * must pass before any test starts: validation (`VALIDATION_FAILED`), the manifest
 * (`MANIFEST_MISMATCH`) and lint (`LINT_FAILED`, not for a migrate command); then resolves the
 * seed files.
 */
export async function prepareMigrations(
  options: TestbedOptions,
  discovered?: SchemaSet,
): Promise<PreparedMigrations> {
  const set = discovered ?? (await discoverSchema(options))
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const where = isMigratorSet(set)
    ? `the inputs of the migrate ${set.format} (${displayPath(set.dir, cwd)})`
    : displayPath(set.dir, cwd)
  // Every check runs before any throws, so one run reports every problem of every kind. The
  // manifest waits for a clean validation: a file that does not load would be reported twice.
  const validationFailed = hasErrors(set.diagnostics)
  const manifest = await declaredManifest(set, options.manifest ?? 'auto')
  // A path given as an option is relative to the project root (`cwd`), like `migrations`.
  const manifestDiagnostics: Diagnostic[] =
    manifest === undefined || validationFailed ? [] : await checkManifest(set, manifest, { cwd })
  // Lint reads SQL pgtestbed parsed; a migrate command's migrations are its tool's.
  const lintDiagnostics =
    options.lint && !isMigratorSet(set) && set.migrations.length > 0 ? await options.lint(set) : []
  const all = [...set.diagnostics, ...manifestDiagnostics, ...lintDiagnostics]
  // The code names the first kind of problem in check order; the message lists every error.
  const [code, summary] = validationFailed
    ? (['VALIDATION_FAILED', `the migrations in ${where} have problems`] as const)
    : hasErrors(manifestDiagnostics)
      ? (['MANIFEST_MISMATCH', `the migrations in ${where} differ from the manifest`] as const)
      : (['LINT_FAILED', `lint found problems in the migrations in ${where}`] as const)
  throwIfErrors(all, code, summary, { cwd })

  const seeds = await resolveSeeds(options.seeds, cwd)
  return {
    set,
    warnings: all,
    seeds,
  }
}

/** The fingerprint of prepared migrations on a server of `serverMajor`. */
export function fingerprintOf(
  prepared: PreparedMigrations,
  serverMajor: number,
  options: TestbedOptions,
): Promise<Fingerprint> {
  return computeFingerprint({
    set: prepared.set,
    serverMajor,
    seeds: prepared.seeds,
    ...(options.baseTemplate === undefined ? {} : { baseTemplate: options.baseTemplate }),
    ...(options.verifyDown === undefined ? {} : { verifyDown: options.verifyDown }),
  })
}
