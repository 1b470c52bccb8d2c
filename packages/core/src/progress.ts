import pc from 'picocolors'

/** A slow step in progress (starting a server, building a template). */
export interface ProgressStep {
  /** Replaces the step's detail text, e.g. `applying 37/100 migrations`. */
  update(detail: string): void
  /** Ends the step successfully; `summary` replaces the label when given. */
  done(summary?: string): void
  /** Ends the step as failed. */
  fail(reason?: string): void
}

/**
 * Where pgtestbed reports what it is doing. Core functions accept one as `reporter` and stay
 * silent without it; the plugins and the CLI pass {@link createConsoleReporter}.
 */
export interface Reporter {
  /** Starts a slow step. */
  step(label: string): ProgressStep
  /** A one-line message. */
  info(message: string): void
  /** Something the user should look at; the run goes on. */
  warn(message: string): void
}

const silentStep: ProgressStep = { update() {}, done() {}, fail() {} }

/** A reporter that prints nothing. The default everywhere in core. */
export const silentReporter: Reporter = {
  step: () => silentStep,
  info() {},
  warn() {},
}

/** Options for {@link createConsoleReporter}. */
export interface ConsoleReporterOptions {
  /** Where to write. Default: `process.stderr`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Prefix of every line. Default: `'pgtestbed'`. */
  prefix?: string
  /** Only steps slower than this (ms) print their start line. Default: `250`. */
  slowAfterMs?: number
}

/**
 * A reporter for terminals and CI logs. A step prints nothing when it finishes quickly; a slow
 * step prints `label…` once it has taken `slowAfterMs`, its latest detail every few seconds,
 * and `label done in N ms` at the end. Output is plain lines (no cursor movement), so it stays
 * readable inside test runners' own output and in CI logs.
 *
 * @example
 * const reporter = createConsoleReporter()
 * const step = reporter.step('building template pgtestbed_tpl_1a2b')
 * step.update('applying 3/10'); step.done()
 */
export function createConsoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stderr
  const prefix = pc.dim(`[${options.prefix ?? 'pgtestbed'}]`)
  const slowAfterMs = options.slowAfterMs ?? 250
  const write = (line: string) => stream.write(`${prefix} ${line}\n`)
  return {
    info: (message) => write(message),
    warn: (message) => write(pc.yellow(message)),
    step(label) {
      const started = Date.now()
      let detail = ''
      let announced = false
      let lastDetailAt = 0
      const announce = () => {
        if (announced) return
        announced = true
        write(`${label}…${detail ? ` ${detail}` : ''}`)
        lastDetailAt = Date.now()
      }
      const timer = setTimeout(announce, slowAfterMs)
      timer.unref()
      const elapsed = () => `${Date.now() - started} ms`
      return {
        update(next) {
          detail = next
          if (announced && Date.now() - lastDetailAt > 2000) {
            write(`${label}… ${detail}`)
            lastDetailAt = Date.now()
          }
        },
        done(summary) {
          clearTimeout(timer)
          if (announced || summary) write(`${summary ?? label} ${pc.dim(`(${elapsed()})`)}`)
        },
        fail(reason) {
          clearTimeout(timer)
          write(pc.red(`${label} failed after ${elapsed()}${reason ? `: ${reason}` : ''}`))
        },
      }
    },
  }
}
