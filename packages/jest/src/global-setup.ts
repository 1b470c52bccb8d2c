import { isPgtestbedError } from '@pgtestbed/core'
import { describeError, forGlobalSetup } from './errors.js'
import {
  projectKey,
  readProjectOptions,
  type JestProjectConfig,
  type ProjectOptions,
} from './options.js'
import { otherProjects, prepareProject, reported, type PrepareOptions } from './prepare.js'
import { payloadVariable, type FailedPayload } from './state.js'

/**
 * Jest `globalSetup`: before any test file runs, resolves the server, discovers and validates
 * the migrations (errors fail the run here, with code, file, line and fix), checks the manifest,
 * builds or reuses the template, and publishes what test files need in `process.env` (Jest forks
 * its workers afterwards). In watch mode the next run reuses the server and template and
 * rebuilds only when the migrations changed; a migration error there fails the run's test files
 * (Jest's watch mode would stop rerunning after a globalSetup error), and saving a fix reruns.
 *
 * Jest runs one globalSetup per module path with the config of one project; projects it did not
 * see are prepared by the test environment on first use.
 *
 * @example
 * // jest.config.js (the preset sets this for you)
 * module.exports = { globalSetup: '@pgtestbed/jest/global-setup' }
 */
export default async function globalSetup(
  globalConfig: { watch?: boolean; watchAll?: boolean; maxWorkers?: number },
  projectConfig: JestProjectConfig,
): Promise<void> {
  const watch = globalConfig.watch === true || globalConfig.watchAll === true
  // One ready clone per test file Jest runs at once (the default clone pool). None in watch mode:
  // it ends by a signal or process.exit, without globalTeardown to drop the pool's clones.
  const maxWorkers = globalConfig.maxWorkers
  const sizing = watch
    ? { pool: { pool: 0 as const } }
    : typeof maxWorkers === 'number' && maxWorkers >= 1
      ? { pool: { workers: Math.floor(maxWorkers) } }
      : {}
  let project: ProjectOptions
  try {
    project = readProjectOptions(projectConfig)
  } catch (error) {
    throw forGlobalSetup(error, watch)
  }
  await prepare(project, { mode: 'global', ...sizing }, watch)
  for (const other of await otherProjects(projectKey(project))) {
    await prepare(
      other.data.project,
      { mode: 'global', ...sizing, ...(other.label ? { label: other.label } : {}) },
      watch,
    )
  }
}

async function prepare(
  project: ProjectOptions,
  options: PrepareOptions,
  watch: boolean,
): Promise<void> {
  try {
    await prepareProject(project, options)
  } catch (error) {
    // Jest's watch mode never runs again after a globalSetup error (it keeps itself marked as
    // running), so in watch mode the error is reported here and the project's files fail instead.
    if (!watch || !isPgtestbedError(error)) throw forGlobalSetup(error, watch)
    if (!reported.has(error)) process.stderr.write(`${describeError(error)}\n`)
    const failed: FailedPayload = {
      v: 1,
      failed: { code: error.code, message: error.message.split('\n')[0] ?? error.message },
    }
    process.env[payloadVariable(projectKey(project))] = JSON.stringify(failed)
  }
}
