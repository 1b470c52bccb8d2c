import { createConsoleReporter, PgtestbedError, type Reporter } from '@pgtestbed/core'
import { schemaInputs, testbedFailure } from '@pgtestbed/core/runner'
import type { TestProject } from 'vitest/node'
import { vitestError } from '../errors.js'
import type { PgtestbedPluginOptions } from '../options.js'
import type { PgtestbedContext } from '../provided.js'
import { sharedState } from '../shared.js'
import { resolveProjectOptions, type ProjectOptions } from './resolve-options.js'
import {
  acquireTestbed,
  endRun,
  provideAll,
  refreshEntry,
  releaseTestbed,
  runFor,
  type RunState,
  type TestbedEntry,
  workersOf,
} from './run.js'

/** Options objects whose `projects` keys were already checked against the run's projects. */
const checkedProjectNames = new WeakSet<object>()

function reporterFor(project: TestProject): Reporter {
  return createConsoleReporter({ prefix: project.name ? `pgtestbed ${project.name}` : 'pgtestbed' })
}

/** `projects` keys that name no project of the run are most likely typos: say so once. */
function checkProjectNames(
  plugin: PgtestbedPluginOptions,
  project: TestProject,
  reporter: Reporter,
) {
  if (!plugin.projects || checkedProjectNames.has(plugin)) return
  checkedProjectNames.add(plugin)
  // `--project` leaves the other projects out of the run: their options are simply not needed.
  const filter = (project.vitest.config as { project?: string | string[] }).project
  if (filter !== undefined && filter.length > 0) return
  const names = project.vitest.projects.map((p) => p.name)
  for (const name of Object.keys(plugin.projects)) {
    if (!names.includes(name)) {
      reporter.warn(
        `pgtestbed({ projects }) has options for "${name}", but no Vitest project has that name (projects: ${names.map((n) => JSON.stringify(n)).join(', ')}); those options are not used`,
      )
    }
  }
}

/**
 * Watch mode: a change to the migrations (or seeds) reruns every test, and before each rerun the
 * testbed is refreshed (a new template only when the fingerprint changed).
 */
function watchMigrations(project: TestProject, run: RunState, entry: TestbedEntry): void {
  const vitest = project.vitest
  const { dir, globs } = schemaInputs(entry.options)
  // Vitest reads these from its (root) config on every file change; a project's own list is not
  // consulted, and the folder may lie outside the root, where Vite does not watch by itself.
  const list = vitest.config.forceRerunTriggers
  for (const trigger of globs) if (!list.includes(trigger)) list.push(trigger)
  vitest.vite.watcher.add(dir)
  if (entry.data.watching) return
  entry.data.watching = true
  project.onTestsRerun(() => refreshEntry(run, entry))
}

/**
 * The globalSetup of one Vitest project: resolves its options, starts (or shares) the testbed,
 * provides `pgtestbed` to its workers and, in watch mode, refreshes before reruns. Returns the
 * teardown. An error (options, server, migrations) is handed to the workers instead of thrown:
 * every test file of the project fails with it before its own code runs, and Vitest prints it
 * once, under those files, and exits with 1.
 */
export async function setupProject(project: TestProject): Promise<() => Promise<void>> {
  const plugin = sharedState().options.get(project)
  if (!plugin) {
    throw vitestError(
      new PgtestbedError(
        'INVALID_OPTIONS',
        `the @pgtestbed/vitest globalSetup runs for project ${JSON.stringify(project.name)}, but the pgtestbed() plugin did not configure that project`,
        {
          fix: "add pgtestbed() to the project's plugins instead of listing @pgtestbed/vitest's files in globalSetup or setupFiles",
        },
      ),
      '(no test ran: pgtestbed checks the migrations and prepares the database before any test starts)',
    )
  }
  const vitest = project.vitest
  const watch = vitest.config.watch
  const reporter = reporterFor(project)
  const run = runFor(vitest)
  run.users++
  let entry: TestbedEntry | undefined
  let options: ProjectOptions | undefined
  try {
    checkProjectNames(plugin, project, reporter)
    options = await resolveProjectOptions(plugin, {
      root: project.config.root,
      name: project.name,
      configFile: project.vite.config.configFile,
    })
    entry = await acquireTestbed(run, options, reporter, workersOf(project))
  } catch (error) {
    // Invalid options: the project's files fail with the error (see above).
    project.provide('pgtestbed', { error: testbedFailure(error) } as PgtestbedContext)
    return () => finish(vitest, run)
  }
  entry.data.projects.set(project, options)
  provideAll(run, entry)
  if (watch) watchMigrations(project, run, entry)
  // Workers start after this and inherit the environment: a file that somehow runs without its
  // own database must not fall through to the shell's DATABASE_URL.
  const envVar = options.envVar
  const shellUrl = process.env[envVar]
  delete process.env[envVar]

  const held = entry
  return async () => {
    if (shellUrl !== undefined) process.env[envVar] = shellUrl
    try {
      await releaseTestbed(run, held, project)
    } finally {
      await finish(vitest, run)
    }
  }
}

/** Ends one setup's share of the run; the last one prints the kept databases and cleans up. */
async function finish(vitest: object, run: RunState): Promise<void> {
  run.users--
  if (run.users > 0) return
  endRun(vitest, run)
}
