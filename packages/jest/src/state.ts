import type { ErrorCode } from '@pgtestbed/core'
import { TestbedRegistry, type RegistryEntry, type TestFileContext } from '@pgtestbed/core/runner'
import type { ProjectOptions } from './project.js'

/**
 * What a test file's environment needs from globalSetup. Jest forks its workers after
 * globalSetup, so it travels as JSON in one environment variable per project
 * (`PGTESTBED_INFO_<key>`). It holds the admin URL: the environment removes these variables from
 * the test file's `process.env`.
 */
export interface Payload {
  v: 1
  /** Core's per-file context, without what each file adds (its root and project name). */
  context: Omit<TestFileContext, 'root' | 'projectName'>
  serverKey: string
  /** The embedded server's cache folder (to print the command that stops a server kept up). */
  cacheDir: string
}

/**
 * Published instead of a {@link Payload} in watch mode when preparing failed: Jest's watch mode
 * stops rerunning after a globalSetup error, so the error is printed once and every test file
 * of the project fails with a short pointer to it; saving a fix reruns.
 */
export interface FailedPayload {
  v: 1
  failed: { code: ErrorCode; message: string }
}

/** What the adapter keeps per testbed: the project it was opened for and what workers get. */
interface JestShare {
  project: ProjectOptions
  payload: Payload | undefined
  /** The run folder test files note kept databases in. */
  runDir: string | undefined
}

export type Entry = RegistryEntry<JestShare>

interface State {
  /**
   * The testbeds this process started (watch mode reuses them on the next run) and the run
   * folder (see core's run notes).
   */
  registry: TestbedRegistry<JestShare>
  /** The same entries by project key, the key workers find their payload under. */
  entries: Map<string, Promise<Entry>>
}

const STATE_KEY = Symbol.for('pgtestbed.jest.state.v1')

/**
 * The process-wide state. On globalThis: Jest may load our modules more than once (globalSetup,
 * globalTeardown and an in-band environment each through their own require), and watch mode
 * must find the previous run's server and template.
 */
export function state(): State {
  const holder = globalThis as Record<symbol, State | undefined>
  return (holder[STATE_KEY] ??= {
    registry: new TestbedRegistry(),
    entries: new Map(),
  })
}

const ENV_PREFIX = 'PGTESTBED_INFO_'

/** The environment variable carrying a project's {@link Payload}. */
export function payloadVariable(key: string): string {
  return `${ENV_PREFIX}${key}`
}

/** Every payload variable name in `env`. */
export function payloadVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((name) => name.startsWith(ENV_PREFIX))
}

/** The payload in variable `name` of `env`, or `undefined` (malformed text counts as absent). */
export function readPayload(
  env: NodeJS.ProcessEnv,
  name: string,
): Payload | FailedPayload | undefined {
  const text = env[name]
  if (!text) return undefined
  try {
    const payload = JSON.parse(text) as Partial<Payload & FailedPayload> | null
    if (payload?.v !== 1) return undefined
    if (typeof payload.context === 'object') return payload as Payload
    if (typeof payload.failed === 'object') return payload as FailedPayload
    return undefined
  } catch {
    return undefined
  }
}
