import type { Diagnostic } from '../diagnostics.js'
import type { DriftOptions } from '../diff/drift-options.js'
import type { DiffConfig } from '../diff/ignore.js'
import type { MigrateOptions, SchemaSet } from '../migrations/migrator/types.js'
import type { MigrationSet, MigrationsOptions } from '../migrations/types.js'
import type { ResolveServerOptions } from '../servers/resolve.js'
import type { ServerStorage } from '../servers/embedded/storage.js'
import type { ServerKind } from '../servers/types.js'
import type { EnsureTemplateResult } from '../templates/build.js'
import type {
  CloneOptions,
  CloneSource,
  CloneStrategy,
  ClonedDatabase,
} from '../templates/clone.js'
import type { SweepOptions, SweepReport } from '../templates/sweep.js'

/**
 * Options of {@link startTestbed}: where the migrations are, which server, and how the template
 * is built and handed out. Every option has a default; `{}` works for a project with
 * `./migrations` and no server (the embedded one starts).
 *
 * @example
 * const options: TestbedOptions = { migrations: './db/migrations', seeds: ['db/seed.sql'], pool: 4 }
 */
export interface TestbedOptions extends MigrationsOptions, ResolveServerOptions {
  /**
   * Build the template with another migration tool (Knex, Kysely, TypeORM, MikroORM, umzug,
   * node-pg-migrate's JavaScript migrations, `prisma migrate deploy`…) instead of reading a
   * migrations folder: a shell `command` or a `run` function, plus the `inputs` that decide when
   * to rebuild. `migrations`, `format`, `table` and `schema` are then unused. Default: none (read
   * the `migrations` folder).
   *
   * @example
   * migrate: { command: 'npx knex migrate:latest', inputs: ['migrations/**', 'knexfile.js'] }
   */
  migrate?: MigrateOptions
  /**
   * The declared list of migrations the discovered files must match (else `MANIFEST_MISMATCH`
   * before any test runs): a manifest file path (absolute, or relative to `cwd`, the project
   * root, like `migrations`; a path in a config file is relative to that file), an explicit list
   * of file names in order (relative to the migrations folder), `false` for no check, or
   * `'auto'`: check `pgtestbed.sum` in the migrations folder when that file exists.
   * Default: `'auto'`.
   */
  manifest?: string | readonly string[] | false | 'auto'
  /**
   * SQL files (or globs) run into the template after the migrations, relative to `cwd`; part of
   * the fingerprint. A pattern matching nothing is an error. Default: none.
   */
  seeds?: string | readonly string[]
  /** Check every Down section (up → down → up on a scratch database) when building. Default: `false`. */
  verifyDown?: boolean
  /**
   * Extra checks on the discovered migrations; error diagnostics fail the run (`LINT_FAILED`),
   * warnings are reported. Default: none.
   */
  lint?: (set: MigrationSet) => Diagnostic[] | Promise<Diagnostic[]>
  /**
   * Keep this many clones ready in the background, so a test file gets its database with one
   * rename instead of a copy (0 = off). Unclaimed clones are dropped when the testbed closes.
   * Default: one per worker (`workers`), at least 4 and at most 16, within the server's room:
   * none when fewer than 12 connections are free, and the ready clones together at most 1 GiB
   * (for a server whose data is in memory, at most a quarter of the free memory);
   * `testbed.info.poolSize` says what was picked.
   */
  pool?: number
  /**
   * How many test files run at once (the runner's workers): sizes the default `pool`. The
   * plugins pass their runner's count. Default: the machine's available parallelism.
   */
  workers?: number
  /**
   * `CREATE DATABASE` strategy on PostgreSQL 15+. `'auto'` picks `file_copy` when the server's
   * data is in memory or its `fsync` is off (the embedded server), else `wal_log` (the
   * measurements are in `resolveCloneStrategy`'s docs);
   * `testbed.info.cloneStrategy` says what was picked. Default: `'auto'`.
   */
  cloneStrategy?: CloneStrategy
  /** Give up waiting for another process's template build after this long (ms). Default: 300000 (5 min). */
  lockTimeoutMs?: number
  /** The database a template build starts from. Default: `'template0'`. */
  baseTemplate?: string
  /**
   * A folder that keeps built templates between machines (one CI caches): a build restores the
   * saved template of the same fingerprint instead of applying the migrations, and saves the
   * template there when it is missing (needs `pg_dump`; see the README's "Template cache"). The
   * embedded server also saves a snapshot of its cluster there, and a server whose data folder is
   * new (a fresh CI machine) starts from that snapshot with its templates instead of initdb.
   * Relative to `cwd` (in a config file: to the file's folder). Default:
   * `$PGTESTBED_TEMPLATE_CACHE`, else none.
   *
   * @example
   * templateCache: '.pgtestbed-cache'
   */
  templateCache?: string
  /**
   * The start-up sweep of leftovers from crashed runs (see `sweep`), or `false` to skip it. The
   * run's own template is always protected and templates of other projects are left alone.
   * Default: `{ limit: 20 }` (at most 20 drops, so start-up stays cheap).
   */
  sweep?: SweepOptions | false
  /**
   * Check, right after the template is ready and before any test, that the migrations build
   * the schema the code declares (`{ command: 'npx drizzle-kit push --force' }`, built into a
   * scratch database), a live database has (`{ url }`, read only) or a dump holds (`{ file }`);
   * a difference fails the run with `DRIFT_DETECTED` and the report. A passed check is reused
   * while the template and `inputs` stay the same. Default: none (no check).
   */
  drift?: DriftOptions
  /** What `pgtestbed diff` and the `drift` check leave out (`{ ignore: [patterns] }`). Default: `{}`. */
  diff?: DiffConfig
}

/**
 * What test workers need to get a database: plain JSON (Vitest's `provide`, an environment
 * variable for Jest). It holds the admin URL, so treat it like a credential.
 *
 * @example
 * process.env.PGTESTBED_INFO = JSON.stringify(testbed.info) // in a worker: cloneDatabase(JSON.parse(…))
 */
export interface TestbedInfo extends CloneSource {
  /** Format version of this object. */
  v: 1
  /** The server: where it comes from, its major version, and where it keeps its data. */
  server: { kind: ServerKind; majorVersion: number; storage: ServerStorage }
  /** The template's full fingerprint. */
  fingerprint: string
  /** The format read, or `'command'` / `'function'` for a migrate command or function. */
  format: SchemaSet['format']
  /** Absolute path of the migrations folder (for a migrate command or function: its `cwd`). */
  migrationsDir: string
  /** Number of migrations pgtestbed applied to the template (0 for a migrate command or function). */
  migrations: number
  /** How many clones the pool keeps ready (0 = no pool). */
  poolSize: number
  /** `pool: true` when `poolSize > 0`: clones are claimed from the pool first. */
  pool: boolean
}

/** What {@link Testbed.refresh} found. */
export interface RefreshResult {
  /** The (possibly new) info; pass it to workers again when `changed`. */
  info: TestbedInfo
  /** True when the fingerprint changed and a new template is in use. */
  changed: boolean
  template: EnsureTemplateResult | undefined
}

/** Options of {@link Testbed.close}. */
export interface CloseOptions {
  /**
   * Leave an embedded server running after this process (so URLs printed for kept databases keep
   * working); the next run, or `pgtestbed server stop`, stops it. Default: `false`.
   */
  keepServer?: boolean
}

/**
 * A running testbed: a server with a ready template. Close it when the test run ends.
 *
 * @example
 * const testbed = await startTestbed()
 * try { await using db = await testbed.clone({ label: 'users.test.ts' }) } finally { await testbed.close() }
 */
export interface Testbed extends AsyncDisposable {
  /** The serialisable part workers need (see {@link cloneDatabase}). */
  readonly info: TestbedInfo
  /** The migrations in the template, or the migrate command or function that built it. */
  readonly set: SchemaSet
  /** Warnings found by discovery, validation, the manifest check and lint (errors throw). */
  readonly diagnostics: readonly Diagnostic[]
  /** One line for the user: `embedded PostgreSQL 17 · goose · 12 migrations · template pgtestbed_tpl_ab12cd34 reused · 84 ms`. */
  readonly summary: string
  /** How the template was obtained. */
  readonly template: EnsureTemplateResult
  /** What the start-up sweep did (`undefined` when it was off or failed). */
  readonly sweep: SweepReport | undefined
  /** Clones the template for one test file (same as `cloneDatabase(testbed.info, options)`). */
  clone(options?: CloneOptions): Promise<ClonedDatabase>
  /**
   * Resolves once the clone pool has been filled (immediately without a pool). Optional: clones
   * fall back to a direct copy while the pool fills.
   */
  whenPoolFull(): Promise<void>
  /** Watch mode: rediscover, and rebuild the template when the fingerprint changed. */
  refresh(): Promise<RefreshResult>
  /** Stops the pool (dropping its unclaimed databases) and releases the server. Idempotent. */
  close(options?: CloseOptions): Promise<void>
}
