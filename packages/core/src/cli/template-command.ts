import path from 'node:path'
import { displayPath } from '../diagnostics.js'
import { PgtestbedError } from '../errors.js'
import { createConsoleReporter } from '../progress.js'
import type { EmbeddedPostgresServer } from '../servers/embedded/server.js'
import { resolveServer } from '../servers/resolve.js'
import { exportTemplate } from '../templates/template-cache.js'
import { snapshotUnlessHeld } from '../testbed/snapshot.js'
import { startTestbed } from '../testbed/start.js'
import type { Testbed, TestbedOptions } from '../testbed/types.js'
import { EXIT_OK, EXIT_USAGE, printError } from './exit.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'
import { testRunOptions } from './test-run-options.js'

/** Flags of `pgtestbed template export` and `import`. */
export interface TemplateFlags {
  url?: string
}

/**
 * Starts the test run's testbed (on the `--url` server when given, with `extra` options), runs
 * `work` with it and closes it. Exit 0, or 2 with the error printed.
 */
async function withTestRun(
  settings: CliSettings,
  flags: TemplateFlags,
  output: Output,
  extra: Partial<TestbedOptions>,
  work: (testbed: Testbed) => Promise<void>,
): Promise<number> {
  const server = flags.url === undefined ? {} : { server: 'url' as const, url: flags.url }
  let testbed: Testbed | undefined
  try {
    testbed = await startTestbed({ ...testRunOptions(settings), ...server, ...extra })
    await work(testbed)
    return EXIT_OK
  } catch (error) {
    printError(output, error)
    return EXIT_USAGE
  } finally {
    await testbed?.close()
  }
}

/**
 * `pgtestbed template export <dir>`: builds (or reuses) the template a test run would use and
 * saves it into `dir`, keyed by its fingerprint (an entry already there is kept). On the embedded
 * server that is a snapshot of its cluster (and the SQL entry too when a `pg_dump` can dump it);
 * on any other, the SQL entry. Exit 0 when the folder holds it, 2 when it could not be saved
 * (`TEMPLATE_CACHE_FAILED`: no pg_dump, say).
 */
export async function runTemplateExport(
  settings: CliSettings,
  dir: string,
  flags: TemplateFlags,
  output: Output,
): Promise<number> {
  const folder = path.resolve(settings.cwd, dir)
  const shown = displayPath(folder, settings.cwd)
  return withTestRun(settings, flags, output, {}, async (testbed) => {
    const { name } = testbed.template
    const embedded = testbed.info.server.kind === 'embedded'
    const file = await exportTemplate({
      adminUrl: testbed.info.adminUrl,
      templateName: name,
      fingerprint: testbed.info.fingerprint,
      project: testbed.info.project,
      dir: folder,
      reporter: createConsoleReporter(),
      ...(embedded ? { ifPgDump: true } : {}),
    })
    if (file)
      output.print(`pgtestbed template export: saved ${name} to ${displayPath(file, settings.cwd)}`)
    if (embedded) {
      const snapshot = await exportSnapshot(testRunOptions(settings), name, folder)
      output.print(
        snapshot
          ? `pgtestbed template export: saved the embedded server's cluster with ${name} to ${displayPath(snapshot, settings.cwd)}`
          : `pgtestbed template export: ${shown} already holds the embedded server's cluster with ${name}`,
      )
    } else if (!file) output.print(`pgtestbed template export: ${shown} already holds ${name}`)
  })
}

/**
 * Saves a snapshot of the embedded server's cluster (the one `options` runs on) into `folder`
 * unless the one there holds `template`. Returns the snapshot folder when it saved one.
 *
 * @throws PgtestbedError TEMPLATE_CACHE_FAILED when it cannot.
 */
async function exportSnapshot(
  options: TestbedOptions,
  template: string,
  folder: string,
): Promise<string | undefined> {
  await using server = (await resolveServer(options)) as EmbeddedPostgresServer
  try {
    const saved = await snapshotUnlessHeld(server, template, folder, createConsoleReporter())
    return saved?.dir
  } catch (error) {
    throw new PgtestbedError(
      'TEMPLATE_CACHE_FAILED',
      `cannot save the embedded server's cluster to the template cache ${displayPath(folder, process.cwd())}: ${(error as Error).message}`,
      {
        cause: error,
        fix: 'Make the folder writable, with room for the cluster (`pgtestbed server status` shows its size).',
      },
    )
  }
}

/**
 * `pgtestbed template import <dir>`: makes the template a test run would use, restoring it from
 * `dir` when the folder holds it (else building it from the migrations, and saving it there).
 * Exit 0 once the template is on the server.
 */
export async function runTemplateImport(
  settings: CliSettings,
  dir: string,
  flags: TemplateFlags,
  output: Output,
): Promise<number> {
  const templateCache = path.resolve(settings.cwd, dir)
  return withTestRun(settings, flags, output, { templateCache }, async (testbed) => {
    const { name, status } = testbed.template
    const how =
      status === 'restored'
        ? `restored ${name} from ${displayPath(templateCache, settings.cwd)}`
        : status === 'reused'
          ? `${name} is already on the server`
          : `built ${name} from the migrations (${displayPath(templateCache, settings.cwd)} did not hold it)`
    output.print(`pgtestbed template import: ${how}`)
  })
}
