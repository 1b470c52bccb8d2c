import type { Diagnostic } from '../../diagnostics.js'
import type { Migration, MigrationSet } from '../types.js'

/** Default of {@link MigrateOptions.timeoutMs}: 10 minutes. */
export const DEFAULT_MIGRATE_TIMEOUT_MS = 600_000

/** What a `migrate.run` function gets. */
export interface MigrateContext {
  /** The URL of the database to migrate: the template being built (also in `DATABASE_URL` for commands). */
  url: string
  /** Aborted when the run takes longer than `migrate.timeoutMs`; pass it on where the tool takes one. */
  signal: AbortSignal
}

/**
 * Builds the template with another migration tool instead of pgtestbed's own reading of the
 * files: a shell command (`command`) or a function (`run`), never both. pgtestbed creates the
 * build database, points the tool at it, then seals the template as for any format.
 *
 * @example
 * const migrate: MigrateOptions = {
 *   command: 'npx knex migrate:latest',
 *   inputs: ['db/migrations/**', 'knexfile.js'],
 * }
 */
export interface MigrateOptions {
  /**
   * A shell command that migrates the database in `DATABASE_URL` (also set: `PGHOST`, `PGPORT`,
   * `PGUSER`, `PGPASSWORD`, `PGDATABASE`), e.g. `'npx knex migrate:latest'`. It runs in `cwd`
   * through the system shell, with pgtestbed's environment plus those variables. Default: none
   * (give `command` or `run`).
   */
  command?: string
  /**
   * A function that migrates the database at `url`, in the process (Kysely's `Migrator`,
   * TypeORM's `DataSource.runMigrations`, umzug…). Default: none (give `command` or `run`).
   */
  run?: (context: MigrateContext) => void | Promise<void>
  /**
   * Globs of every file that shapes the schema (the migrations, the tool's config): relative to
   * `cwd`, `node_modules` and `.git` skipped. Their contents (with the command string or the
   * function's source) are the template's fingerprint, and the manifest lists them. Required;
   * a pattern that matches no file is an error.
   */
  inputs: string | readonly string[]
  /**
   * Kill the command (its whole process group) or give up on the function after this long.
   * Default: `600000` (10 minutes).
   */
  timeoutMs?: number
  /**
   * The folder the command runs in and `inputs` are relative to. Default: the project root (for
   * `migrate` in a config file: that file's folder).
   */
  cwd?: string
}

/** A `migrate` option checked and resolved: what builds the template and what it depends on. */
export interface ResolvedMigrator {
  /** `'command'` or `'function'`. */
  kind: 'command' | 'function'
  /** The shell command (`kind: 'command'`). */
  command?: string
  /** The function (`kind: 'function'`). */
  run?: (context: MigrateContext) => void | Promise<void>
  /** The input globs as given. */
  inputs: readonly string[]
  /** Milliseconds before the run is stopped. */
  timeoutMs: number
  /** Absolute folder the command runs in and the inputs are relative to. */
  cwd: string
}

/**
 * What a `migrate` option stands for in place of a discovered folder: the tool that builds the
 * template and the input files its fingerprint and manifest cover.
 */
export interface MigratorSet {
  /** `'command'` or `'function'`: the tool runs itself. */
  format: 'command' | 'function'
  /** The folder inputs (and manifest paths) are relative to: `migrate.cwd`. */
  dir: string
  /** Always empty: the tool applies its own migrations, pgtestbed does not read them. */
  migrations: Migration[]
  /** Every input file, absolute, sorted by relative path. */
  files: string[]
  migrator: ResolvedMigrator
  /** Problems with the option or its inputs (a pattern that matches nothing…). */
  diagnostics: Diagnostic[]
}

/** What builds a template: migrations pgtestbed reads and applies, or another tool's run. */
export type SchemaSet = MigrationSet | MigratorSet

/**
 * True when `set` stands for a `migrate` command or function rather than a migrations folder.
 *
 * @example
 * if (isMigratorSet(testbed.set)) console.log(testbed.set.migrator.command)
 */
export function isMigratorSet(set: SchemaSet): set is MigratorSet {
  return set.format === 'command' || set.format === 'function'
}
