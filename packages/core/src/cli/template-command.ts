import path from 'node:path'
import { displayPath } from '../diagnostics.js'
import { createConsoleReporter } from '../progress.js'
import { exportTemplate } from '../templates/template-cache.js'
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
 * saves it into `dir`, keyed by its fingerprint (an entry already there is kept). Exit 0 when the
 * entry is there, 2 when it could not be made (`TEMPLATE_CACHE_FAILED`: no pg_dump, say).
 */
export async function runTemplateExport(
  settings: CliSettings,
  dir: string,
  flags: TemplateFlags,
  output: Output,
): Promise<number> {
  const folder = path.resolve(settings.cwd, dir)
  return withTestRun(settings, flags, output, {}, async (testbed) => {
    const file = await exportTemplate({
      adminUrl: testbed.info.adminUrl,
      templateName: testbed.template.name,
      fingerprint: testbed.info.fingerprint,
      project: testbed.info.project,
      dir: folder,
      reporter: createConsoleReporter(),
    })
    const shown = displayPath(folder, settings.cwd)
    output.print(
      file
        ? `pgtestbed template export: saved ${testbed.template.name} to ${displayPath(file, settings.cwd)}`
        : `pgtestbed template export: ${shown} already holds ${testbed.template.name}`,
    )
  })
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
