import { spawn } from 'node:child_process'
import { serverAddress } from './pg-connect.js'
import { plural } from './plural.js'

/**
 * Runs a user's shell command against a database: the `migrate.command` option builds a template
 * with it (`npx knex migrate:latest`), and `pgtestbed diff --command` and the `drift` option build
 * the code's schema with it (`npx drizzle-kit push --force`, `npx prisma db push`, any script).
 * The command line is the user's own choice, so it goes through the shell; nothing else pgtestbed
 * spawns does.
 * @module
 */

/** Default of {@link RunCommandOptions.timeoutMs}: 5 minutes. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 300_000

/** The most output kept (the end of it): enough for any error, never a memory problem. */
const MAX_OUTPUT_CHARS = 64 * 1024

/** How long a stopped command gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 3_000

/** Longest output line an error message shows; longer ones are cut. */
const MAX_LINE_CHARS = 400

/**
 * libpq variables that would send a client somewhere other than the variables pgtestbed sets
 * (`PGHOSTADDR` beats `PGHOST`, a service file names its own host), or log in with a password
 * that belongs to another server.
 */
const REDIRECTING_VARIABLES = [
  'PGHOSTADDR',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGREQUIRESSL',
  'PGPASSWORD',
  'PGPASSFILE',
]

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
 * The last `lines` lines of a command's output, indented, each cut at 400 characters, for an
 * error message.
 *
 * @example
 * outputTail('a\nb\nc\n', 2) // '  | … 1 earlier line\n  | b\n  | c'
 */
export function outputTail(output: string, lines = 30): string {
  const all = output.trimEnd().split(/\r?\n/)
  const shown = all.slice(-lines)
  const skipped = all.length - shown.length
  return [
    ...(skipped > 0 ? [`… ${plural(skipped, 'earlier line')}`] : []),
    ...shown.map((line) =>
      line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line,
    ),
  ]
    .map((line) => `  | ${line}`)
    .join('\n')
}

/**
 * Runs `command` in a shell with the database in its environment and resolves when it ends,
 * whatever its exit code (the caller decides what a failure means).
 *
 * - The environment is `env` without the libpq variables that would redirect a client (or log in
 *   with another server's password), plus {@link databaseEnv}.
 * - It runs in a process group of its own: a timeout or an abort stops the whole group (`npx` and
 *   the tool it starts) with SIGTERM, then SIGKILL; whatever the command left running in its
 *   group when it exits is killed too, and so is the group if this process exits first.
 *
 * @example
 * const result = await runCommand({ command: 'npx drizzle-kit push --force', cwd, databaseUrl })
 * if (result.exitCode !== 0) console.error(result.output)
 */
export function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const started = performance.now()
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) }
  for (const name of REDIRECTING_VARIABLES) delete env[name]
  Object.assign(env, databaseEnv(options.databaseUrl))
  // Its own process group (POSIX): stopping it stops everything it started, and a Ctrl-C in
  // the terminal reaches pgtestbed, which stops it and drops the database afterwards.
  const group = process.platform !== 'win32'
  const child = spawn(options.command, {
    cwd: options.cwd,
    env,
    shell: true,
    detached: group,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
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
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal)
      else child.kill(signal)
    } catch {
      // ESRCH: the group is gone already.
    }
  }
  const stop = () => {
    kill('SIGTERM')
    killTimer ??= setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS)
    killTimer.unref()
  }
  const onProcessExit = () => kill('SIGKILL')
  process.once('exit', onProcessExit)
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  // Leftovers of the command (a background job holding its output open) go with it.
  child.on('exit', (code, signal) => {
    exit = { code, signal }
    if (group) kill('SIGKILL')
  })
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
      process.removeListener('exit', onProcessExit)
      if (error) collect(`${error.message}\n`)
      resolve({
        exitCode: exit ? exit.code : exitCode,
        signal: exit ? exit.signal : signal,
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
