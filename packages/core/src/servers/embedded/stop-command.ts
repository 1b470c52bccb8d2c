import { resolveCacheDir } from './paths.js'

/** A POSIX shell word: as is when safe, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/**
 * The command line that stops the embedded server of `cacheDir`, for messages (the plugins print
 * it when a kept database keeps the server up). Plain `pgtestbed server stop` when `cacheDir` is
 * the default that command finds from `cwd`; any other folder (a `cacheDir` option, or
 * `PGTESTBED_CACHE_DIR`, which a later shell may not have) is named with `--cache-dir`.
 *
 * @example
 * serverStopCommand(resolveCacheDir()) // 'pgtestbed server stop'
 * serverStopCommand('/tmp/ci cache')   // "pgtestbed server stop --cache-dir '/tmp/ci cache'"
 */
export function serverStopCommand(cacheDir: string, cwd: string = process.cwd()): string {
  const isDefault = !process.env.PGTESTBED_CACHE_DIR && resolveCacheDir({ cwd }) === cacheDir
  return isDefault
    ? 'pgtestbed server stop'
    : `pgtestbed server stop --cache-dir ${shellWord(cacheDir)}`
}
