import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../config/load.js'
import { DEFAULT_MIGRATIONS_DIR } from '../config/types.js'
import type { MigrationsOptions, PgtestbedConfig, SweepConfig } from '../config/types.js'
import type { LintOptions } from '../lint/types.js'
import { resolveCacheDir } from '../servers/embedded/paths.js'
import type { ResolveServerOptions } from '../servers/resolve.js'
import type { MigrateOptions } from '../migrations/migrator/types.js'
import type { MigrationFormat } from '../migrations/types.js'

/** Flags every command accepts. */
export interface CommonFlags {
  /** `--config <file>`: this config file instead of searching for `pgtestbed.config.*`. */
  config?: string
  /** `--dir <migrations>`: the migrations folder, relative to the working folder. */
  dir?: string
  /** `--migration-format <tool>`: goose, golang-migrate, prisma, drizzle, dbmate, node-pg-migrate or auto. */
  migrationFormat?: string
  /** `--table <name>`: the version table. */
  table?: string
  /** `--schema <name>`: the version table's schema. */
  schema?: string
}

/** What a command runs with: the config file, then the flags on top, key by key. */
export interface CliSettings {
  /** The working folder flags are relative to. */
  cwd: string
  /** The config file that was loaded, if any (absolute). */
  configFile: string | undefined
  /** Where the migrations are (`migrations` is resolved against `cwd`). */
  migrations: MigrationsOptions
  /** The declared manifest (see `TestbedOptions.manifest`). Default: `'auto'`. */
  manifest: string | readonly string[] | false | 'auto'
  /** Lint settings, or `false` when lint is off. Default: every rule at its default severity. */
  lint: LintOptions | false
  /** The config's server options (for `gc`; `url` is resolved per command). */
  server: ResolveServerOptions
  /** The config's sweep settings (for `gc`). */
  sweep: SweepConfig
  /** The config's `url`, if any. */
  configUrl: string | undefined
  /**
   * The config's `migrate` command or function (its `cwd` absolute), unless `--dir` or
   * `--migration-format` asks for a migrations folder.
   */
  migrate?: MigrateOptions
  /**
   * The cache folder `check` keeps its lint cache in (under `lint/`, the folder the test plugins
   * use too): the config's `cacheDir` or `PGTESTBED_CACHE_DIR` when set, else
   * `<workspace root>/node_modules/.cache/pgtestbed` when that `node_modules` exists, else a
   * folder in the OS temp folder (a project without node_modules, such as a Go service running
   * `npx pgtestbed check`, must not find a new node_modules folder in its tree).
   */
  lintCacheDir: string
  /** The loaded config file as it is (paths absolute), `{}` without one: what `diff` builds its testbed from. */
  config: PgtestbedConfig
}

function lintCacheDir(cwd: string, configured: string | undefined): string {
  const dir = resolveCacheDir({
    cwd,
    ...(configured === undefined ? {} : { cacheDir: configured }),
  })
  if (configured !== undefined || process.env.PGTESTBED_CACHE_DIR) return dir
  const nodeModules = path.resolve(dir, '..', '..')
  if (path.basename(nodeModules) === 'node_modules' && existsSync(nodeModules)) return dir
  const user = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return path.join(os.tmpdir(), `pgtestbed-${user}`)
}

/**
 * Loads `pgtestbed.config.*` (searched from `cwd`, or `--config`) and lays the flags over it.
 * Paths in the config file are relative to its folder; paths in flags to the working folder.
 *
 * @throws PgtestbedError CONFIG_LOAD_FAILED or INVALID_OPTIONS (exit code 2).
 */
export async function resolveSettings(flags: CommonFlags, cwd: string): Promise<CliSettings> {
  const loaded = await loadConfig({
    cwd,
    ...(flags.config === undefined ? {} : { file: path.resolve(cwd, flags.config) }),
  })
  const config: PgtestbedConfig = loaded.config
  const base = loaded.file ? path.dirname(loaded.file) : cwd
  const migrations: MigrationsOptions = {
    cwd,
    // A flag stays as typed (messages then show it), resolved against the working folder.
    migrations: flags.dir ?? path.resolve(base, config.migrations ?? DEFAULT_MIGRATIONS_DIR),
  }
  const format = flags.migrationFormat ?? config.format
  if (format !== undefined) migrations.format = format as MigrationFormat | 'auto'
  const table = flags.table ?? config.table
  if (table !== undefined) migrations.table = table
  const schema = flags.schema ?? config.schema
  if (schema !== undefined) migrations.schema = schema
  if (config.ignore !== undefined) migrations.ignore = config.ignore

  const manifest = config.manifest ?? 'auto'
  const lint = config.lint === false ? false : typeof config.lint === 'object' ? config.lint : {}
  const server: ResolveServerOptions = { cwd: base }
  if (config.server !== undefined) server.server = config.server
  if (config.cacheDir !== undefined) server.cacheDir = config.cacheDir
  if (config.embedded !== undefined) server.embedded = config.embedded
  if (config.docker !== undefined) server.docker = config.docker
  return {
    cwd,
    configFile: loaded.file,
    migrations,
    manifest:
      typeof manifest === 'string' && manifest !== 'auto' ? path.resolve(base, manifest) : manifest,
    lint,
    server,
    sweep: config.sweep === false || config.sweep === undefined ? {} : config.sweep,
    configUrl: config.url,
    lintCacheDir: lintCacheDir(cwd, config.cacheDir),
    config,
    ...(config.migrate !== undefined &&
    flags.dir === undefined &&
    flags.migrationFormat === undefined
      ? { migrate: config.migrate }
      : {}),
  }
}
