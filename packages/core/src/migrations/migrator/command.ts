import { spawn } from 'node:child_process'

/** How many lines of a command's output a failure shows. */
const DEFAULT_TAIL_LINES = 30

/** Longest line kept for a failure message; longer ones are cut. */
const MAX_LINE = 400

/** How long a command gets between SIGTERM and SIGKILL when it is stopped. */
const KILL_GRACE_MS = 3_000

/** Options of {@link runShellCommand}. */
export interface ShellCommandOptions {
  /** The command line, run by the system shell. */
  command: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Stop the command (its whole process group) after this long. */
  timeoutMs: number
  /** Lines of output to keep for messages. Default: {@link DEFAULT_TAIL_LINES}. */
  tailLines?: number
}

/** How a command ended. */
export interface ShellCommandResult {
  /** The exit code; `null` when a signal ended it. */
  code: number | null
  signal: NodeJS.Signals | null
  /** True when pgtestbed stopped it for running past `timeoutMs`. */
  timedOut: boolean
  /** The last lines of its stdout and stderr, interleaved as they came. */
  tail: string[]
  ms: number
}

/** Keeps the last `size` lines of a stream of text chunks. */
class Tail {
  private readonly lines: string[] = []
  private partial = ''
  constructor(private readonly size: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/)
    this.partial = parts.pop() ?? ''
    for (const line of parts) this.add(line)
  }

  end(): string[] {
    if (this.partial !== '') this.add(this.partial)
    this.partial = ''
    return [...this.lines]
  }

  private add(line: string): void {
    this.lines.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line)
    if (this.lines.length > this.size) this.lines.shift()
  }
}

/**
 * Runs a user's shell command (the `migrate.command` option: a shell command by the user's own
 * choice, so it goes through the shell) in a process group of its own, and waits for it.
 *
 * - Past `timeoutMs` the whole group gets SIGTERM, then SIGKILL, so a tool's children (an `npx`
 *   wrapper, a watcher) go with it.
 * - Once the command exits, whatever it left running in its group is killed: nothing outlives the
 *   template build. So is the group when this process exits first.
 * - Output is not printed; the last lines are kept for the error message.
 *
 * @example
 * const result = await runShellCommand({ command: 'npx knex migrate:latest', cwd, env, timeoutMs: 600_000 })
 * if (result.code !== 0) console.error(result.tail.join('\n'))
 */
export function runShellCommand(options: ShellCommandOptions): Promise<ShellCommandResult> {
  const started = performance.now()
  const tail = new Tail(options.tailLines ?? DEFAULT_TAIL_LINES)
  const groups = process.platform !== 'win32'
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, {
      cwd: options.cwd,
      env: options.env,
      shell: true,
      // A process group of its own (the group id is the child's pid), so it can be stopped whole.
      detached: groups,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    })
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (groups && child.pid !== undefined) process.kill(-child.pid, signal)
        else child.kill(signal)
      } catch {
        // ESRCH: the group is gone already.
      }
    }
    const onExit = () => kill('SIGKILL')
    process.once('exit', onExit)
    let timedOut = false
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let forceKill: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      kill('SIGTERM')
      forceKill = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS)
    }, options.timeoutMs)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk))
    child.on('exit', (code, signal) => {
      exit = { code, signal }
      // Leftovers of the command (a background job holding its output open) go with it.
      kill('SIGKILL')
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      clearTimeout(forceKill)
      process.removeListener('exit', onExit)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(forceKill)
      process.removeListener('exit', onExit)
      resolve({
        code: exit?.code ?? code,
        signal: exit?.signal ?? signal,
        timedOut,
        tail: tail.end(),
        ms: performance.now() - started,
      })
    })
  })
}
