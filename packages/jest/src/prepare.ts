import {
  createConsoleReporter,
  formatDiagnostics,
  startTestbed,
  type Diagnostic,
  type Reporter,
  type Testbed,
} from '@pgtestbed/core'
import { projectKey, resolveOptions, type ProjectOptions } from './options.js'
import {
  keptDir,
  payloadVariable,
  payloadVariables,
  readPayload,
  state,
  type Entry,
  type Payload,
} from './state.js'

/** How a project is being prepared. */
export interface PrepareOptions {
  /**
   * `'global'`: by globalSetup, in Jest's main process (the normal case).
   * `'lazy'`: by a test environment whose project globalSetup did not see (Jest runs globalSetup
   * once, with one project's config); it reuses globalSetup's server when the server options
   * match and keeps no clone pool (workers end with the run).
   */
  mode: 'global' | 'lazy'
  /** A label for the summary line when several projects are prepared. Default: none. */
  label?: string
}

/**
 * Prepares (or, in watch mode, refreshes) the testbed of one Jest project and publishes its
 * payload in `process.env` for the workers Jest forks next. Prints warnings once, progress of
 * slow steps and a one-line summary to stderr.
 *
 * @throws the core error (code, files, lines, fixes).
 */
export async function prepareProject(
  project: ProjectOptions,
  options: PrepareOptions,
): Promise<Payload> {
  const key = projectKey(project)
  const existing = state().entries.get(key)
  const entry = existing
    ? await refresh(await existing, options)
    : await open(project, key, options)
  process.env[payloadVariable(key)] = JSON.stringify(entry.payload)
  return entry.payload
}

/**
 * Watch mode: the other projects this process prepared in earlier runs (an in-band environment
 * prepares projects lazily in this process), which globalSetup refreshes too so that their
 * payloads do not go stale.
 */
export async function otherProjects(exceptKey: string): Promise<Entry[]> {
  const others: Entry[] = []
  for (const [key, opening] of state().entries) {
    if (key === exceptKey) continue
    const entry = await opening.catch(() => undefined)
    if (entry) others.push(entry)
  }
  return others
}

function open(project: ProjectOptions, key: string, options: PrepareOptions): Promise<Entry> {
  const { entries } = state()
  const opening = start(project, key, options)
  entries.set(key, opening)
  // A failed start is not remembered: the next run (watch mode) tries again.
  opening.catch(() => {
    if (entries.get(key) === opening) entries.delete(key)
  })
  return opening
}

async function start(
  project: ProjectOptions,
  key: string,
  options: PrepareOptions,
): Promise<Entry> {
  const resolved = await resolveOptions(project)
  const reporter = createConsoleReporter()
  let testbedOptions = { ...resolved.testbed, reporter }
  let parentKeptDir: string | undefined
  if (options.mode === 'lazy') {
    const parent = parentPayload(resolved.serverKey)
    // globalSetup's server is still up for this run: connect to it instead of starting another.
    if (parent) testbedOptions = { ...testbedOptions, server: 'url', url: parent.info.adminUrl }
    parentKeptDir = parent?.keptDir
    testbedOptions.pool = 0
  }
  const testbed = await startTestbed(testbedOptions)
  printWarnings(testbed.diagnostics, project.rootDir, reporter)
  reporter.info(withLabel(testbed.summary, options.label))
  const embedded = testbed.info.server.kind === 'embedded'
  const dir = options.mode === 'global' ? (embedded ? keptDir() : undefined) : parentKeptDir
  const payload: Payload = {
    v: 1,
    info: testbed.info,
    envVar: resolved.envVar,
    keepOnFailure: resolved.keepOnFailure,
    serverKey: resolved.serverKey,
    ...(dir ? { keptDir: dir } : {}),
  }
  return { key, project, label: options.label, testbed, payload }
}

/** Watch mode: the next run rediscovers the migrations; a changed fingerprint builds a new template. */
async function refresh(entry: Entry, options: PrepareOptions): Promise<Entry> {
  const reporter = createConsoleReporter()
  const result = await entry.testbed.refresh()
  const short = result.info.template.slice(0, 'pgtestbed_tpl_'.length + 8)
  if (result.changed) {
    printWarnings(entry.testbed.diagnostics, entry.project.rootDir, reporter)
    const migrations = `${result.info.migrations} migration${result.info.migrations === 1 ? '' : 's'}`
    const status = result.template?.status ?? 'built'
    reporter.info(
      withLabel(`migrations changed: template ${short} ${status} (${migrations})`, options.label),
    )
  } else {
    reporter.info(withLabel(`migrations unchanged: template ${short} reused`, options.label))
  }
  entry.payload = { ...entry.payload, info: result.info }
  return entry
}

/** The payload globalSetup published for the same server choice, if any. */
function parentPayload(serverKey: string): Payload | undefined {
  for (const name of payloadVariables(process.env)) {
    const payload = readPayload(process.env, name)
    if (payload && 'info' in payload && payload.serverKey === serverKey) return payload
  }
  return undefined
}

function printWarnings(warnings: readonly Diagnostic[], cwd: string, reporter: Reporter): void {
  if (warnings.length === 0) return
  const count = `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`
  reporter.warn(
    `${count} about the migrations (tests still run):\n${formatDiagnostics(warnings, { cwd })}`,
  )
}

function withLabel(summary: string, label: string | undefined): string {
  return label ? `${label}: ${summary}` : summary
}

/** The testbeds this process started, for globalTeardown. */
export async function openTestbeds(): Promise<Testbed[]> {
  return (await openEntries()).map((entry) => entry.testbed)
}

/** The projects this process prepared (a failed start is not one). */
async function openEntries(): Promise<Entry[]> {
  const settled = await Promise.allSettled(state().entries.values())
  return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
}

/** The cache folders of the embedded servers this process's testbeds use. */
export async function embeddedCacheDirs(): Promise<string[]> {
  const dirs = new Set<string>()
  for (const entry of await openEntries()) {
    if (entry.testbed.info.server.kind !== 'embedded') continue
    // The server key records the resolved cache folder (see resolveOptions).
    const { cacheDir } = JSON.parse(entry.payload.serverKey) as { cacheDir: string }
    dirs.add(cacheDir)
  }
  return [...dirs]
}
