/** A PostgreSQL setting value as passed with `-c name=value`. */
export type PostgresSettingValue = string | number | boolean

/**
 * Settings pgtestbed starts its own servers (embedded and docker) with. Test databases are
 * disposable, so durability is traded for speed: nothing waits for the disk.
 *
 * - `fsync`, `synchronous_commit`, `full_page_writes` off: commits and checkpoints skip flushing.
 * - `jit` off: JIT compilation only slows down the short queries tests run.
 */
export const TEST_TUNED_SETTINGS: Readonly<Record<string, PostgresSettingValue>> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  jit: 'off',
}

/**
 * `max_connections` of servers pgtestbed starts: room for many parallel test workers, each with a
 * pool, plus template builds (PostgreSQL's own default is 100). macOS gets 100, since its default
 * System V semaphore limits are too low for more.
 */
export const DEFAULT_MAX_CONNECTIONS = process.platform === 'darwin' ? 100 : 300

/** Turns settings into `postgres` arguments: `['-c', 'fsync=off', …]`. */
export function settingsToArgs(settings: Readonly<Record<string, PostgresSettingValue>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => [
    '-c',
    `${name}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value)}`,
  ])
}

/**
 * Added to {@link TEST_TUNED_SETTINGS} when the embedded server's data folder is in memory: WAL
 * takes RAM there, so it is kept small. `min_wal_size` is how much finished WAL is kept for reuse
 * (PostgreSQL's default 80MB), `max_wal_size` how much may pile up before a checkpoint (default
 * 1GB; clones with the `wal_log` strategy write the whole template to the WAL).
 */
export const MEMORY_STORAGE_SETTINGS: Readonly<Record<string, PostgresSettingValue>> = {
  min_wal_size: '32MB',
  max_wal_size: '256MB',
}
