import { createConsoleReporter, displayPath, PgtestbedError, type ErrorCode } from '@pgtestbed/core'
import { projectContext } from '@pgtestbed/core/runner'
import {
  projectKey,
  resolveOptions,
  type JestProjectConfig,
  type ProjectOptions,
} from './options.js'
import {
  payloadVariable,
  payloadVariables,
  readPayload,
  state,
  type Entry,
  type Payload,
} from './state.js'

/** How messages name a project: its displayName, else its rootDir relative to the working folder. */
export function projectLabel(config: JestProjectConfig): string {
  return `project ${config.displayName?.name ?? displayPath(config.rootDir)}`
}

/** Errors already printed (by the registry's refresh): globalSetup does not print them again. */
export const reported = new WeakSet<Error>()

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
  /**
   * The clone pool: `{ workers }` (Jest's `maxWorkers`) sizes the default one; `{ pool: 0 }` keeps
   * none. Default: core's default.
   */
  pool?: { workers: number } | { pool: 0 }
}

/**
 * Prepares (or, in watch mode, refreshes) the testbed of one Jest project through core's testbed
 * registry and publishes its payload in `process.env` for the workers Jest forks next.
 *
 * @throws the core error (code, files, lines, fixes).
 */
export async function prepareProject(
  project: ProjectOptions,
  options: PrepareOptions,
): Promise<Payload> {
  const key = projectKey(project)
  const { entries, registry } = state()
  let opening = entries.get(key)
  if (opening) {
    const entry = await opening
    await registry.refresh(entry)
    if (entry.error) {
      // The refresh reported it; the project's files fail pointing at it.
      const error = new PgtestbedError(entry.error.code as ErrorCode, entry.error.message)
      reported.add(error)
      throw error
    }
  } else {
    opening = open(project, options)
    entries.set(key, opening)
    // A failed start is not remembered: the next run (watch mode) tries again.
    opening.catch(() => {
      if (entries.get(key) === opening) entries.delete(key)
    })
  }
  const entry = await opening
  const testbed = entry.testbed!
  const previous = entry.data.payload
  const payload: Payload = previous
    ? { ...previous, context: { ...previous.context, ...testbed.info } }
    : {
        v: 1,
        context: projectContext(testbed, entry.options, { runDir: entry.data.runDir }),
        serverKey: entry.options.serverKey,
        cacheDir: entry.options.cacheDir,
      }
  entry.data.payload = payload
  process.env[payloadVariable(key)] = JSON.stringify(payload)
  return payload
}

async function open(project: ProjectOptions, options: PrepareOptions): Promise<Entry> {
  const resolved = await resolveOptions(project)
  const parent = options.mode === 'lazy' ? parentPayload(resolved.serverKey) : undefined
  return state().registry.open(resolved, {
    reporter: createConsoleReporter(),
    ...(options.label ? { label: options.label } : {}),
    // In a worker, globalSetup's server is still up for this run: connect to it instead of
    // starting another, and keep no clone pool (workers end with the run).
    ...(options.mode === 'lazy'
      ? {
          overrides: {
            pool: 0,
            ...(parent ? { server: 'url', url: parent.context.adminUrl } : {}),
          },
        }
      : options.pool === undefined
        ? {}
        : { overrides: options.pool }),
    data: () => ({
      project,
      payload: undefined,
      runDir: options.mode === 'global' ? state().registry.runDir : parent?.context.runDir,
    }),
  })
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

/** The payload globalSetup published for the same server choice, if any. */
function parentPayload(serverKey: string): Payload | undefined {
  for (const name of payloadVariables(process.env)) {
    const payload = readPayload(process.env, name)
    if (payload && 'context' in payload && payload.serverKey === serverKey) return payload
  }
  return undefined
}
