import { displayPath } from '../diagnostics.js'
import { PgtestbedError } from '../errors.js'
import { createConsoleReporter } from '../progress.js'
import { resolveCacheDir } from '../servers/embedded/paths.js'
import { describeCount, formatDiffText } from '../diff/report.js'
import { diffTemplate, type DiffTemplateResult } from '../diff/run.js'
import { migrationSql } from '../diff/sql.js'
import type { DiffTarget } from '../diff/targets.js'
import { startTestbed } from '../testbed/start.js'
import type { Testbed } from '../testbed/types.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printError } from './exit.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'
import { testRunOptions } from './test-run-options.js'

/** Flags of `pgtestbed diff`. */
export interface DiffFlags {
  url?: string
  command?: string
  file?: string
  sql?: boolean
  format?: string
}

/** The target of the flags, else the config's `drift`; `INVALID_OPTIONS` for none or several. */
function targetOf(settings: CliSettings, flags: DiffFlags): DiffTarget {
  const given: DiffTarget[] = []
  if (flags.url !== undefined) given.push({ url: flags.url })
  if (flags.command !== undefined) given.push({ command: flags.command })
  if (flags.file !== undefined) given.push({ file: flags.file })
  if (given.length > 1) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      'pgtestbed diff compares with one target: pass one of --url, --command and --file',
      { fix: 'Run pgtestbed diff once per target.' },
    )
  }
  if (given[0]) return given[0]
  const drift = settings.config.drift
  if (drift === undefined) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      'nothing to compare the migrations with: pass --url, --command or --file, or set drift in pgtestbed.config.*',
      {
        fix: 'e.g. pgtestbed diff --command "npx drizzle-kit push --force", or pgtestbed diff --url "$STAGING_DATABASE_URL"',
      },
    )
  }
  const { inputs: _inputs, ...target } = drift
  return target as DiffTarget
}

/**
 * `pgtestbed diff`: builds (or reuses) the template exactly as a test run would and compares
 * its schema with a live database (`--url`, read only), the schema a command builds (`--command`)
 * or a dump (`--file`). Exit 0 when they match, 1 when they differ (the report, grouped by
 * object; `--sql` adds the statements the migrations lack), 2 when the comparison could not be
 * made (wrong usage, a failing command or file, migrations that do not build).
 */
export async function runDiff(
  settings: CliSettings,
  flags: DiffFlags,
  output: Output,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  let testbed: Testbed | undefined
  try {
    const target = targetOf(settings, flags)
    testbed = await startTestbed(testRunOptions(settings))
    const result = await diffTemplate({
      source: testbed.info,
      set: testbed.set,
      target,
      cwd: settings.cwd,
      env,
      reporter: createConsoleReporter(),
      cacheDir: resolveCacheDir(settings.server),
      ...(settings.config.diff ? { diff: settings.config.diff } : {}),
    })
    print(result, testbed, settings, flags, output)
    return result.diff.same ? EXIT_OK : EXIT_FAILED
  } catch (error) {
    printError(output, error)
    return EXIT_USAGE
  } finally {
    await testbed?.close()
  }
}

function print(
  result: DiffTemplateResult,
  testbed: Testbed,
  settings: CliSettings,
  flags: DiffFlags,
  output: Output,
): void {
  const { diff, labels } = result
  const migrations = displayPath(testbed.set.dir, settings.cwd)
  const sql = flags.sql ? migrationSql(diff, result.expected, result.actual) : undefined
  if (flags.format === 'json') {
    output.print(
      JSON.stringify(
        {
          same: diff.same,
          migrations: { dir: migrations, template: testbed.template.name },
          target: { kind: labels.actual, description: result.targetDescription },
          labels,
          groups: diff.groups,
          ...(sql ? { sql } : {}),
        },
        null,
        2,
      ),
    )
    return
  }
  const c = output.colors
  const sides = `the migrations in ${migrations} and the ${labels.actual} (${result.targetDescription})`
  if (diff.same) {
    output.print(
      `${c.green('pgtestbed diff:')} no differences between ${sides} (${result.expected.objects.size} objects compared)`,
    )
    return
  }
  output.print(`${c.red('pgtestbed diff:')} ${sides} differ: ${describeCount(diff)}`)
  output.print('')
  output.print(formatDiffText(diff, { labels, colors: c }))
  if (sql) {
    output.print('')
    output.print(
      c.dim(`-- the statements that turn the migrations' schema into the ${labels.actual}'s:`),
    )
    output.print(sql.join('\n\n'))
  } else {
    output.print('')
    output.print(
      c.dim('Write the migration that makes these changes; --sql prints its statements.'),
    )
  }
}
