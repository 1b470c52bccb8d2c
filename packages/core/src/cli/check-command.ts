import { runCheck } from './check.js'
import { checkJson, formatCheckText, judge } from './check-format.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'

/** Flags of `pgtestbed check`. */
export interface CheckFlags {
  strict?: boolean
  format?: string
  /** `--no-cache` sets this to false. */
  cache?: boolean
}

/**
 * `pgtestbed check`: prints the findings grouped by file (or one JSON document with
 * `--format json`) and returns 0 when clean, 1 on errors (or warnings with `--strict`), 2 when
 * the migrations folder does not exist.
 */
export async function runCheckCommand(
  settings: CliSettings,
  flags: CheckFlags,
  output: Output,
): Promise<number> {
  const strict = flags.strict === true
  const report = await runCheck(settings, { cache: flags.cache !== false })
  const verdict = judge(report, strict)
  if (flags.format === 'json') {
    const document = checkJson(report, verdict, {
      cwd: settings.cwd,
      strict,
      configFile: settings.configFile,
    })
    output.print(JSON.stringify(document, null, 2))
  } else {
    output.print(
      formatCheckText(report, verdict, {
        cwd: settings.cwd,
        colors: output.colors,
        strict,
        configFile: settings.configFile,
      }),
    )
  }
  return verdict.exitCode
}
