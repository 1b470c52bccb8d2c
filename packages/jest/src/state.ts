import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ErrorCode, Testbed, TestbedInfo } from '@pgtestbed/core'
import type { ProjectOptions } from './project.js'

/**
 * What a test file's environment needs from globalSetup. Jest forks its workers after
 * globalSetup, so it travels as JSON in one environment variable per project
 * (`PGTESTBED_INFO_<key>`). It holds the admin URL: the environment removes these variables from
 * the test file's `process.env`.
 */
export interface Payload {
  v: 1
  info: TestbedInfo
  envVar: string
  keepOnFailure: boolean
  serverKey: string
  /**
   * A folder the environment marks kept databases in (one empty file per database), so
   * globalTeardown knows to leave an embedded server running. Only set for embedded servers.
   */
  keptDir?: string
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

/** One prepared project: its testbed (in the process that started it) and what workers get. */
export interface Entry {
  key: string
  project: ProjectOptions
  /** Printed before its summary lines (lazily prepared projects). */
  label: string | undefined
  testbed: Testbed
  payload: Payload
}

interface State {
  /** Testbeds this process started, by project key (watch mode reuses them on the next run). */
  entries: Map<string, Promise<Entry>>
  keptDir: string | undefined
}

const STATE_KEY = Symbol.for('pgtestbed.jest.state.v1')

/**
 * The process-wide state. On globalThis: Jest may load our modules more than once (globalSetup,
 * globalTeardown and an in-band environment each through their own require), and watch mode
 * must find the previous run's server and template.
 */
export function state(): State {
  const holder = globalThis as Record<symbol, State | undefined>
  return (holder[STATE_KEY] ??= { entries: new Map(), keptDir: undefined })
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
    if (typeof payload.info === 'object') return payload as Payload
    if (typeof payload.failed === 'object') return payload as FailedPayload
    return undefined
  } catch {
    return undefined
  }
}

/** The folder kept databases are marked in; created on first use, removed when the process exits. */
export function keptDir(): string {
  const current = state()
  if (current.keptDir) return current.keptDir
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-jest-kept-'))
  current.keptDir = dir
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Names of the databases marked kept in `dir` since it was last cleared. */
export function keptDatabases(dir: string | undefined): string[] {
  if (!dir) return []
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
