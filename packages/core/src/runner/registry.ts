import { formatError } from '../diagnostics.js'
import { isPgtestbedError } from '../errors.js'
import type { Reporter } from '../progress.js'
import { startTestbed } from '../testbed/start.js'
import type { Testbed, TestbedOptions } from '../testbed/types.js'
import type { RunnerOptions } from './options.js'
import { plural } from '../internal/plural.js'
import { createRunDir, readKeptDatabases, removeRunDir } from '../worker/run-notes.js'
import { dropLeftovers } from './leftovers.js'
import { printKeptDatabases } from './summary.js'

/** Why a testbed is not usable right now: its test files fail with it. */
export interface TestbedFailure {
  code: string
  message: string
}

/** One testbed of a run, shared by the projects whose options have the same key. */
export interface RegistryEntry<T> {
  readonly key: string
  readonly options: RunnerOptions
  readonly reporter: Reporter
  /** Put before the summary lines (a project among several). */
  readonly label: string | undefined
  testbed: Testbed | undefined
  /** Set when the testbed could not start (with `failures: 'keep'`) or refresh. */
  error: TestbedFailure | undefined
  /** How the entry was opened: see {@link OpenTestbedOptions.failures}. */
  readonly failures: 'throw' | 'keep'
  /** What the adapter keeps per testbed. */
  readonly data: T
}

/** Options of {@link TestbedRegistry.open}. */
export interface OpenTestbedOptions<T> {
  reporter: Reporter
  /**
   * When the testbed cannot start or refresh. `'throw'`: `open()` rejects and remembers nothing;
   * a failed `refresh()` prints the error in full (the adapter's test files then fail pointing at
   * it). `'keep'`: the entry keeps the error without printing it, for the adapter's test files to
   * fail with (a runner that merges identical errors, like Vitest, then shows it once, under the
   * failed files), and the next `refresh()` tries again. Default: `'throw'`.
   */
  failures?: 'throw' | 'keep'
  label?: string
  /** Testbed options set by the adapter over the project's (e.g. a server URL to share). */
  overrides?: Partial<TestbedOptions>
  /** The adapter's own data for a new entry. */
  data: () => T
}

/**
 * What test files are told about an error that kept the testbed from starting: its code and
 * core's rendering of it (file, line, statement, fix).
 *
 * @example
 * project.provide('pgtestbed', { error: testbedFailure(error) })
 */
export function testbedFailure(error: unknown): TestbedFailure {
  return { code: isPgtestbedError(error) ? error.code : 'UNKNOWN', message: formatError(error) }
}

/**
 * The testbeds of one run, by options key: started on first use, shared by later projects with
 * the same options, refreshed before watch-mode reruns (one line saying what happened), closed at
 * the end. It also holds the run folder, where test files note the databases they use and keep,
 * and prints the kept ones when the run ends. Every adapter's main process keeps one.
 *
 * @example
 * const registry = new TestbedRegistry<void>()
 * const entry = await registry.open(options, { reporter, data: () => undefined })
 * // … hand `registry.runDir` to the test files with the testbed; after the last one:
 * await registry.closeRun()
 * registry.endRun()
 */
export class TestbedRegistry<T> {
  readonly #entries = new Map<string, Promise<RegistryEntry<T>>>()
  #runDir: string | undefined
  /** Cache folders of embedded servers {@link closeRun} left up for kept databases. */
  readonly #keptServers = new Set<string>()

  /**
   * The run folder (see `createRunDir`): created on first use, removed by {@link endRun} or when
   * the process exits. A watch-mode runner that ends each run gets a new one for the next.
   */
  get runDir(): string {
    if (this.#runDir === undefined) {
      const dir = createRunDir()
      this.#runDir = dir
      process.once('exit', () => removeRunDir(dir))
    }
    return this.#runDir
  }

  /**
   * The testbed for `options`, started on first use and printed as one summary line plus its
   * warnings. When it cannot start, see {@link OpenTestbedOptions.failures}.
   */
  open(options: RunnerOptions, how: OpenTestbedOptions<T>): Promise<RegistryEntry<T>> {
    const existing = this.#entries.get(options.key)
    if (existing) return existing
    const entry: RegistryEntry<T> = {
      key: options.key,
      options,
      reporter: how.reporter,
      label: how.label,
      testbed: undefined,
      error: undefined,
      failures: how.failures ?? 'throw',
      data: how.data(),
    }
    const opening = this.#start(entry, how.overrides).then(
      () => entry,
      (error: unknown) => {
        if (entry.failures === 'throw') throw error
        entry.error = testbedFailure(error)
        return entry
      },
    )
    this.#entries.set(options.key, opening)
    opening.catch(() => {
      if (this.#entries.get(options.key) === opening) this.#entries.delete(options.key)
    })
    return opening
  }

  /** The entries that opened (with a testbed, or with the error they keep). */
  async entries(): Promise<RegistryEntry<T>[]> {
    const settled = await Promise.allSettled(this.#entries.values())
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  }

  async #start(entry: RegistryEntry<T>, overrides: Partial<TestbedOptions> = {}): Promise<void> {
    const testbed = await startTestbed({
      ...entry.options.testbed,
      ...overrides,
      reporter: entry.reporter,
    })
    entry.testbed = testbed
    entry.error = undefined
    this.#info(entry, testbed.summary)
    this.#warnings(entry, testbed)
  }

  #info(entry: RegistryEntry<T>, line: string): void {
    entry.reporter.info(entry.label ? `${entry.label}: ${line}` : line)
  }

  /**
   * One line for the warnings about the migrations (how many, in how many files, and the command
   * that shows them): a test run, a watch rerun or a commit should not scroll past dozens of
   * findings a team may have accepted. `pgtestbed check` prints the details.
   */
  #warnings(entry: RegistryEntry<T>, testbed: Testbed): void {
    const warnings = testbed.diagnostics
    if (warnings.length === 0) return
    const files = new Set(warnings.map((d) => d.file ?? '')).size
    entry.reporter.warn(
      `${plural(warnings.length, 'warning')} about the migrations in ${plural(files, 'file')} (the run goes on; \`npx pgtestbed check\` shows them)`,
    )
  }

  /**
   * Watch mode, before a rerun: drops the databases the last run's crashed workers left, then
   * starts the testbed if it had failed, else rediscovers the migrations and builds a new
   * template when they changed. Prints one line saying which happened; an error is kept on the
   * entry (test files fail with it) instead of thrown, and printed in full only for an entry
   * opened with `failures: 'throw'`.
   */
  async refresh(entry: RegistryEntry<T>): Promise<void> {
    const started = performance.now()
    // The files of the last run whose worker exited without finishing their databases.
    if (this.#runDir) await dropLeftovers(this.#runDir, entry.reporter, { all: false })
    try {
      if (!entry.testbed) {
        await this.#start(entry)
        return
      }
      const result = await entry.testbed.refresh()
      entry.error = undefined
      const template = entry.testbed.template
      const short = template.name.slice(0, 'pgtestbed_tpl_'.length + 8)
      if (result.changed) {
        const count = plural(entry.testbed.set.migrations.length, 'migration')
        const ms = Math.round(performance.now() - started)
        this.#info(
          entry,
          `rerun: migrations changed · ${count} · template ${short} ${template.status} · ${ms} ms`,
        )
        this.#warnings(entry, entry.testbed)
      } else {
        this.#info(entry, `rerun: migrations unchanged · template ${short} reused`)
      }
    } catch (error) {
      entry.error = testbedFailure(error)
      entry.reporter.warn(
        entry.failures === 'keep'
          ? `rerun: ${entry.error.code}: the test files fail with it until it is fixed`
          : `rerun: [${entry.error.code}] ${entry.error.message}\n(tests fail until this is fixed)`,
      )
    }
  }

  /**
   * Forgets the entry and closes its testbed, keeping an embedded server running when `keepServer`
   * (a test file kept its database, so its URL must keep working).
   */
  async close(entry: RegistryEntry<T>, options: { keepServer?: boolean } = {}): Promise<void> {
    const pending = this.#entries.get(entry.key)
    if (pending && (await pending.catch(() => undefined)) === entry) this.#entries.delete(entry.key)
    await entry.testbed?.close(options.keepServer ? { keepServer: true } : {})
  }

  /**
   * Closes `entries` (default: every entry) once every test file using them has finished. First
   * drops the databases of files that never finished them (a file that failed to load, a crashed
   * worker). When a file of the run kept its database, embedded servers stay up so the URLs
   * {@link endRun} prints keep working. Every entry is closed even when one fails; the first
   * failure is thrown afterwards.
   */
  async closeRun(entries?: RegistryEntry<T>[]): Promise<void> {
    const closing = entries ?? (await this.entries())
    const runDir = this.#runDir
    const reporter = closing[0]?.reporter
    if (runDir !== undefined && reporter) await dropLeftovers(runDir, reporter, { all: true })
    const keepServer = runDir !== undefined && readKeptDatabases(runDir).length > 0
    const results = await Promise.allSettled(closing.map((e) => this.close(e, { keepServer })))
    if (keepServer) {
      const embedded = closing.filter((e) => e.testbed?.info.server.kind === 'embedded')
      for (const e of embedded) this.#keptServers.add(e.options.cacheDir)
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /**
   * Ends the run: prints the databases its failed test files kept (with the command that stops
   * a server left up for them) and removes the run folder. The testbeds stay as they are (watch
   * mode reuses them).
   */
  endRun(reporter?: Reporter): void {
    const runDir = this.#runDir
    if (runDir === undefined) return
    this.#runDir = undefined
    try {
      printKeptDatabases(readKeptDatabases(runDir), this.#keptServers, reporter)
    } finally {
      this.#keptServers.clear()
      removeRunDir(runDir)
    }
  }
}
