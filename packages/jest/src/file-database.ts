import { openTestFile, PgtestbedError, type TestFile } from '@pgtestbed/core/worker'
import { projectKey, projectOptionsOf, type JestProjectConfig } from './project.js'
import {
  payloadVariable,
  payloadVariables,
  readPayload,
  type FailedPayload,
  type Payload,
} from './state.js'

/**
 * Prepares a project globalSetup did not see, in this worker. Only then are the option checks
 * and the rest of core loaded: the usual file clones from globalSetup's payload and never needs
 * them.
 */
async function prepareHere(config: JestProjectConfig): Promise<Payload | FailedPayload> {
  const [{ readProjectOptions }, { prepareProject, projectLabel }] = await Promise.all([
    import('./options.js'),
    import('./prepare.js'),
  ])
  return prepareProject(readProjectOptions(config), {
    mode: 'lazy',
    label: projectLabel(config),
  })
}

/**
 * Opens the database of one test file (core's `openTestFile`) and points the file's own
 * `process.env` (`env`, Jest's per-file copy) at it. Uses the payload globalSetup published for
 * the project (whose options it checked), or prepares the project here when globalSetup did not
 * see it (another `projects` entry, a docblock override).
 */
export async function databaseForFile(
  config: JestProjectConfig,
  testPath: string,
  env: NodeJS.ProcessEnv,
): Promise<TestFile> {
  const project = projectOptionsOf(config)
  const payload =
    readPayload(process.env, payloadVariable(projectKey(project))) ?? (await prepareHere(config))
  if ('failed' in payload) {
    throw new PgtestbedError(
      payload.failed.code,
      `${payload.failed.message} (the full report is above)`,
      { fix: 'fix the migration and save: watch mode reruns the tests' },
    )
  }
  // The payloads hold the admin URL: test code has no use for it.
  for (const name of payloadVariables(env)) delete env[name]
  const { options } = project
  return openTestFile(
    {
      ...payload.context,
      root: project.rootDir,
      projectName: config.displayName?.name ?? '',
      envVar: options.envVar ?? payload.context.envVar,
      keepOnFailure: options.keepOnFailure ?? payload.context.keepOnFailure,
    },
    { runner: 'jest', testPath, env, print: (text) => process.stderr.write(`${text}\n`) },
  )
}
