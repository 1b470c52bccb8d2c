import { spawn } from 'node:child_process'
import { serverAddress } from './pg-connect.js'

/**
 * Runs a user's shell command against a database: `pgtestbed diff --command` and the `drift`
 * option build the code's schema with it (`npx drizzle-kit push --force`, `npx prisma db push`,
 * a TypeORM `schema:sync`, any script). Kept free of diff specifics so a command migrator can
 * share it.
 * @module
 */

/** Default of {@link RunCommandOptions.timeoutMs}: 5 minutes. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 300_000

/** The most output kept (the end of it): enough for any error, never a memory problem. */
const MAX_OUTPUT_CHARS = 64 * 1024

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** The command line, run by the system shell (`/bin/sh -c`, `cmd.exe` on Windows). */
  command: string
  /** The folder it runs in. */
  cwd: string
  /** The database it works on: in `DATABASE_URL` and the `PG*` variables (see {@link databaseEnv}). */
  databaseUrl: string
  /** The environment the database variables are added to. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Stop it (and everything it started) after this long. Default: {@link DEFAULT_COMMAND_TIMEOUT_MS}. */
  timeoutMs?: number
  /** Aborting stops it (and everything it started). Default: none. */
  signal?: AbortSignal
  /** Called with each chunk of output (stdout and stderr). Default: none. */
  onOutput?: (chunk: string) => void
}

/** How a command ended. */
export interface CommandResult {
  /** Its exit code, or `null` when a signal ended it. */
  exitCode: number | null
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null
  /** True when it ran out of time (it was then stopped). */
  timedOut: boolean
  /** True when the abort signal stopped it. */
  aborted: boolean
  /** The end of its output (stdout and stderr as they came, at most 64 KiB). */
  output: string
  /** How long it ran (ms). */
  ms: number
}

/**
 * The variables a command finds its database in: `DATABASE_URL` (the URL itself) and libpq's
 * `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` (and `PGSSLMODE` when the URL has
 * `sslmode`), so tools that read either find the same database.
 *
 * @example
 * databaseEnv('postgres://app:secret@db:5432/scratch')
 * // { DATABASE_URL: 'postgres://…', PGHOST: 'db', PGPORT: '5432', PGUSER: 'app', PGPASSWORD: 'secret', PGDATABASE: 'scratch' }
 */
export function databaseEnv(url: string): Record<string, string> {
  const address = serverAddress(url)
  const parsed = new URL(url)
  const env: Record<string, string> = {
    DATABASE_URL: url,
    PGHOST: address.host,
    PGPORT: String(address.port),
  }
  if (address.user !== undefined) env.PGUSER = address.user
  const password = parsed.password || parsed.searchParams.get('password')
  if (password) env.PGPASSWORD = decodeURIComponent(password)
  if (address.database !== undefined) env.PGDATABASE = address.database
  const sslmode = parsed.searchParams.get('sslmode')
  if (sslmode) env.PGSSLMODE = sslmode
  return env
}

/**
 * Runs `command` in a shell with the database in its environment and resolves when it ends,
 * whatever its exit code (the caller decides what a failure means). A timeout or an abort stops
 * the whole process group (`npx` and the tool it starts), with SIGTERM then SIGKILL.
 *
 * @example
 * const result = await runCommand({ command: 'npx drizzle-kit push --force', cwd, databaseUrl })
 * if (result.exitCode !== 0) console.error(result.output)
 */
export function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const started = performance.now()
  const env = { ...(options.env ?? process.env), ...databaseEnv(options.databaseUrl) }
  // Its own process group (POSIX): stopping it stops everything it started, and a Ctrl-C in
  // the terminal reaches pgtestbed, which stops it and drops the database afterwards.
  const group = process.platform !== 'win32'
  const child = spawn(options.command, {
    cwd: options.cwd,
    env,
    shell: true,
    detached: group,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: string) => {
    output = (output + chunk).slice(-MAX_OUTPUT_CHARS)
    options.onOutput?.(chunk)
  }
  child.stdout.setEncoding('utf8').on('data', collect)
  child.stderr.setEncoding('utf8').on('data', collect)

  let timedOut = false
  let aborted = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = () => {
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, signal)
        else child.kill(signal)
      } catch {
        // Already gone.
      }
    }
    kill('SIGTERM')
    killTimer ??= setTimeout(() => kill('SIGKILL'), 5_000)
    killTimer.unref()
  }
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS)
  timer.unref()
  const onAbort = () => {
    aborted = true
    stop()
  }
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })

  return new Promise((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      options.signal?.removeEventListener('abort', onAbort)
      if (error) collect(`${error.message}\n`)
      resolve({
        exitCode,
        signal,
        timedOut,
        aborted,
        output,
        ms: performance.now() - started,
      })
    }
    child.on('error', (error) => finish(null, null, error))
    child.on('close', (code, signal) => finish(code, signal))
  })
}
