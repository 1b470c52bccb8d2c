import { writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  cloneDatabase,
  createConsoleReporter,
  PgtestbedError,
  displayPath,
  formatLeakedConnections,
  withTerminationGuard,
  type ClonedDatabase,
} from '@pgtestbed/core/worker'
import { projectKey, projectOptionsOf, type JestProjectConfig } from './project.js'
import {
  payloadVariable,
  payloadVariables,
  readPayload,
  type FailedPayload,
  type Payload,
} from './state.js'

/** A test file's database and what to do with it afterwards. */
export interface FileDatabase {
  database: ClonedDatabase
  /** The test file, relative to the project's rootDir. */
  label: string
  keepOnFailure: boolean
  keptDir: string | undefined
}

/** The test file's path relative to the project's rootDir, as shown in messages and records. */
function fileLabel(rootDir: string, testPath: string): string {
  return path.relative(rootDir, testPath).split(path.sep).join('/') || testPath
}

/** How messages name a project: its displayName, else its rootDir relative to the working folder. */
function projectLabel(config: JestProjectConfig): string {
  return `project ${config.displayName?.name ?? displayPath(config.rootDir)}`
}

/**
 * Prepares a project globalSetup did not see, in this worker. Only then are the option checks
 * and the rest of core loaded: the usual file clones from globalSetup's payload and never needs
 * them.
 */
async function prepareHere(config: JestProjectConfig): Promise<Payload | FailedPayload> {
  const [{ readProjectOptions }, { prepareProject }] = await Promise.all([
    import('./options.js'),
    import('./prepare.js'),
  ])
  return prepareProject(readProjectOptions(config), { mode: 'lazy', label: projectLabel(config) })
}

/**
 * Clones a database for one test file and points the file's own `process.env` (`env`, Jest's
 * per-file copy) at it. Uses the payload globalSetup published for the project (whose options it
 * checked), or prepares the project here when globalSetup did not see it (another `projects`
 * entry, a docblock override).
 */
export async function databaseForFile(
  config: JestProjectConfig,
  testPath: string,
  env: NodeJS.ProcessEnv,
): Promise<FileDatabase> {
  const project = projectOptionsOf(config)
  const key = projectKey(project)
  const label = fileLabel(project.rootDir, testPath)
  const payload = readPayload(process.env, payloadVariable(key)) ?? (await prepareHere(config))
  if ('failed' in payload) {
    throw new PgtestbedError(
      payload.failed.code,
      `${payload.failed.message} (the full report is above)`,
      { fix: 'fix the migration and save: watch mode reruns the tests' },
    )
  }
  const database = await cloneDatabase(payload.info, { label })
  // The payloads hold the admin URL: test code has no use for it.
  for (const name of payloadVariables(env)) delete env[name]
  env[project.options.envVar ?? payload.envVar] = database.url
  // pg and psql name their sessions after PGAPPNAME: a leaked connection then names its file.
  env.PGAPPNAME ??= `jest ${label}`.slice(0, 63)
  return {
    database,
    label,
    keepOnFailure: project.options.keepOnFailure ?? payload.keepOnFailure,
    keptDir: payload.keptDir,
  }
}

/**
 * After the file: keeps the database and prints its URL when the file failed (and
 * `keepOnFailure`), else drops it and names the file when connections were still open. Problems
 * here are reported, not thrown: the file's result stands and `pgtestbed gc` cleans up later.
 */
export async function finishDatabase(file: FileDatabase, failed: boolean): Promise<void> {
  const reporter = createConsoleReporter()
  const { database, label } = file
  try {
    if (failed && file.keepOnFailure) {
      const url = await database.keep()
      if (file.keptDir) writeFileSync(path.join(file.keptDir, database.name), '')
      reporter.warn(
        `${label} failed: its database ${database.name} was kept for debugging:\n` +
          `    ${url}\n` +
          `    drop it with DROP DATABASE "${database.name}"; \`pgtestbed gc\` drops kept databases after 3 days`,
      )
      return
    }
    const result = await withTerminationGuard(() => database.drop())
    if (result.leakedConnections.length > 0) {
      const count = result.leakedConnections.length
      reporter.warn(
        `${label} left ${count} connection${count === 1 ? '' : 's'} open to its database (closed by the drop); ` +
          `end your pg Pool/Client in afterAll:\n${indent(formatLeakedConnections(result.leakedConnections))}`,
      )
    }
  } catch (error) {
    reporter.warn(`could not clean up the database of ${label}: ${(error as Error).message}`)
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}
