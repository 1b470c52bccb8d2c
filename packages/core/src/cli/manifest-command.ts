import { displayPath, hasErrors } from '../diagnostics.js'
import { PgtestbedError } from '../errors.js'
import { checkManifest, manifestPath, writeManifest } from '../migrations/files/manifest.js'
import { isMigratorSet } from '../migrations/migrator/types.js'
import { discoverSettings, runCheck, type CheckReport } from './check.js'
import { formatCheckText, judge } from './check-format.js'
import { EXIT_OK } from './exit.js'
import { plural } from '../internal/plural.js'
import type { Output } from './output.js'
import type { CliSettings } from './settings.js'

/** Flags of `pgtestbed manifest`. */
export interface ManifestFlags {
  write?: boolean
  check?: boolean
}

/** The manifest file the command reads or writes. */
function manifestFile(settings: CliSettings): string | undefined {
  const declared = settings.manifest
  if (Array.isArray(declared)) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      'the config declares the manifest as a list of file names, so there is no pgtestbed.sum to write or check',
      {
        fix: 'remove `manifest` from the config (pgtestbed.sum is then used when it exists), or keep the list and run `pgtestbed check`',
      },
    )
  }
  return typeof declared === 'string' && declared !== 'auto' ? declared : undefined
}

/**
 * `pgtestbed manifest --write` creates or updates `pgtestbed.sum`; `--check` (the default)
 * compares the folder with it and names every unlisted, missing, edited or reordered migration.
 * Both refuse a folder whose migrations do not load (exit 1).
 */
export async function runManifest(
  settings: CliSettings,
  flags: ManifestFlags,
  output: Output,
): Promise<number> {
  if (flags.write && flags.check) {
    throw new PgtestbedError('INVALID_OPTIONS', '--write and --check cannot be used together', {
      fix: 'run `pgtestbed manifest --write` to update the file, or `--check` to verify it',
    })
  }
  const started = performance.now()
  const file = manifestFile(settings)
  const set = await discoverSettings(settings)
  const what = isMigratorSet(set)
    ? plural(set.files.length, `migrate ${set.format} input`)
    : plural(set.migrations.length, `${set.format} migration`)
  const target = manifestPath(set, file)
  const shown = displayPath(target, settings.cwd)
  const report: CheckReport = {
    set,
    diagnostics: [...set.diagnostics],
    manifest: target,
    steps: {
      validation: { ran: true },
      manifest: { ran: false, skipped: 'fix the errors above first' },
    },
    ms: 0,
  }
  if (!hasErrors(set.diagnostics)) {
    if (flags.write) {
      const { changed } = await writeManifest(set, target)
      output.print(`pgtestbed: ${changed ? 'wrote' : 'unchanged:'} ${shown} (${what})`)
      return reportRemainingChecks(settings, output)
    }
    report.diagnostics.push(...(await checkManifest(set, target)))
    report.steps.manifest = { ran: true }
  }
  report.ms = performance.now() - started
  const verdict = judge(report, false)
  if (verdict.exitCode === EXIT_OK && report.steps.manifest.ran) {
    output.print(
      `pgtestbed: ${shown} matches the ${what} in ${displayPath(set.dir, settings.cwd)}/`,
    )
    return EXIT_OK
  }
  output.print(
    formatCheckText(report, verdict, { cwd: settings.cwd, colors: output.colors, strict: false }),
  )
  return verdict.exitCode
}

/**
 * After `manifest --write`, the rest of `pgtestbed check` (lint) in the same run, so adding a
 * migration is one command: it exits 1 with the findings when a check still fails, and only
 * counts warnings.
 */
async function reportRemainingChecks(settings: CliSettings, output: Output): Promise<number> {
  const report = await runCheck(settings)
  const verdict = judge(report, false)
  if (verdict.errors > 0) {
    output.print(
      formatCheckText(report, verdict, { cwd: settings.cwd, colors: output.colors, strict: false }),
    )
  } else if (verdict.warnings > 0) {
    output.print(
      `pgtestbed: ${plural(verdict.warnings, 'warning')} (\`pgtestbed check\` shows ${verdict.warnings === 1 ? 'it' : 'them'})`,
    )
  }
  return verdict.exitCode
}
