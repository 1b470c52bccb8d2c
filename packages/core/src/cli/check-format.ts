import { displayPath, type Diagnostic } from '../diagnostics.js'
import { describeMigrator } from '../migrations/migrator/run.js'
import { isMigratorSet } from '../migrations/migrator/types.js'
import type { CheckReport, StepOutcome } from './check.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { plural } from '../internal/plural.js'
import type { Colors } from './output.js'

/** How `check` judges its findings. */
export interface CheckVerdict {
  errors: number
  warnings: number
  /** Files with at least one diagnostic (folder-level problems not counted). */
  files: number
  exitCode: number
}

/**
 * 0 when clean, 1 on errors (or warnings with `strict`), 2 when the migrations folder itself is
 * missing: that is a wrong `--dir` or `migrations` setting, not a problem in the migrations.
 */
export function judge(report: CheckReport, strict: boolean): CheckVerdict {
  const errors = report.diagnostics.filter((d) => d.severity === 'error').length
  const warnings = report.diagnostics.length - errors
  const files = new Set(report.diagnostics.flatMap((d) => (d.file ? [d.file] : []))).size
  const exitCode = report.diagnostics.some((d) => d.code === 'DIR_NOT_FOUND')
    ? EXIT_USAGE
    : errors > 0 || (strict && warnings > 0)
      ? EXIT_FAILED
      : EXIT_OK
  return { errors, warnings, files, exitCode }
}

/** Diagnostics by file (files in path order, folder-level problems last), each by line. */
function groupByFile(diagnostics: readonly Diagnostic[]): [string | undefined, Diagnostic[]][] {
  const groups = new Map<string | undefined, Diagnostic[]>()
  for (const d of diagnostics) {
    const list = groups.get(d.file) ?? []
    list.push(d)
    groups.set(d.file, list)
  }
  const rank = (d: Diagnostic) => (d.severity === 'error' ? 0 : 1)
  for (const list of groups.values()) {
    list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || rank(a) - rank(b))
  }
  return [...groups.entries()].sort(([a], [b]) =>
    a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : a > b ? 1 : 0,
  )
}

function describeStep(name: string, step: StepOutcome, detail = ''): string {
  if (!step.ran) return `${name} skipped (${step.skipped})`
  return `${name}${detail}${step.cached ? ' (cached)' : ''}`
}

/** The steps line: `validation, manifest pgtestbed.sum, lint`. */
function stepsLine(report: CheckReport, cwd: string): string {
  const manifest =
    report.manifest === undefined
      ? ''
      : ` ${report.manifest === 'config list' ? '(config list)' : displayPath(report.manifest, cwd)}`
  return [
    describeStep('validation', report.steps.validation),
    report.steps.manifest.ran || report.manifest !== undefined
      ? describeStep('manifest', report.steps.manifest, manifest)
      : 'no manifest',
    report.steps.lint ? describeStep('lint', report.steps.lint) : '',
  ]
    .filter(Boolean)
    .join(', ')
}

/**
 * The human output of `check`: one block per file (its path, then `line  severity  CODE  message`
 * with `see:` and `fix:` lines under each), then one summary line.
 *
 * @example
 * migrations/021_add_status_reason_column.sql
 *     1  error  DUPLICATE_VERSION  version 21 is used by 2 files …
 *               fix: renumber one of them …
 *
 * ✖ 1 error in 1 file · 21 goose migrations in migrations/ · validation, no manifest, lint · 92 ms
 */
export function formatCheckText(
  report: CheckReport,
  verdict: CheckVerdict,
  options: { cwd: string; colors: Colors; strict: boolean; configFile?: string | undefined },
): string {
  const { cwd, colors: c } = options
  const lines: string[] = []
  const width = Math.max(4, ...report.diagnostics.map((d) => String(d.line ?? '').length))
  for (const [file, list] of groupByFile(report.diagnostics)) {
    lines.push(
      c.underline(file ? displayPath(file, cwd) : `${displayPath(report.set.dir, cwd)}/ (folder)`),
    )
    for (const d of list) {
      const severity = d.severity === 'error' ? c.red('error  ') : c.yellow('warning')
      const line = String(d.line ?? '').padStart(width)
      const indent = ' '.repeat(width + 4 + 7 + 2)
      const message = d.message.split('\n').join(`\n${indent}`)
      lines.push(`  ${c.dim(line)}  ${severity}  ${c.bold(d.code)}  ${message}`)
      for (const r of d.related ?? []) {
        lines.push(
          `${indent}${c.dim('see:')} ${displayPath(r.file, cwd)}${r.line ? `:${r.line}` : ''}`,
        )
      }
      if (d.fix) lines.push(`${indent}${c.cyan('fix:')} ${d.fix}`)
    }
    lines.push('')
  }
  const count = report.set.migrations.length
  const folder = `${displayPath(report.set.dir, cwd)}/`
  const where = isMigratorSet(report.set)
    ? `${plural(report.set.files.length, 'input file')} of ${describeMigrator(report.set)} in ${folder}`
    : count === 0
      ? `no migrations read from ${folder}`
      : `${plural(count, `${report.set.format} migration`)} in ${folder}`
  const config = options.configFile ? ` · config ${displayPath(options.configFile, cwd)}` : ''
  const tail = `${where} · ${stepsLine(report, cwd)}${config} · ${Math.round(report.ms)} ms`
  const { errors, warnings, files } = verdict
  if (errors === 0 && warnings === 0) {
    lines.push(`${c.green('✔')} no problems · ${tail}`)
  } else {
    const counts = [
      errors ? plural(errors, 'error') : '',
      warnings ? plural(warnings, 'warning') : '',
    ]
      .filter(Boolean)
      .join(', ')
    const inFiles = files > 0 ? ` in ${plural(files, 'file')}` : ''
    const strictNote = options.strict && errors === 0 ? ' (--strict: warnings fail the check)' : ''
    const mark = verdict.exitCode === EXIT_OK ? c.yellow('⚠') : c.red('✖')
    lines.push(`${mark} ${counts}${inFiles}${strictNote} · ${tail}`)
  }
  return lines.join('\n')
}

/** A path both ways: absolute and relative to the working folder (`/` separators). */
function paths(file: string | undefined, cwd: string) {
  return file === undefined ? {} : { file, relativeFile: displayPath(file, cwd) }
}

/** The JSON document `check --format json` prints (`version` is the shape's version). */
export function checkJson(
  report: CheckReport,
  verdict: CheckVerdict,
  options: { cwd: string; strict: boolean; configFile: string | undefined },
) {
  const { cwd } = options
  const diagnostics = groupByFile(report.diagnostics).flatMap(([, list]) => list)
  return {
    version: 1,
    ok: verdict.exitCode === EXIT_OK,
    exitCode: verdict.exitCode,
    strict: options.strict,
    cwd,
    config: options.configFile ?? null,
    migrations: {
      dir: report.set.dir,
      relativeDir: displayPath(report.set.dir, cwd),
      format: 'formatUnknown' in report.set && report.set.formatUnknown ? null : report.set.format,
      ...('layout' in report.set && report.set.layout ? { layout: report.set.layout } : {}),
      count: report.set.migrations.length,
      ...(isMigratorSet(report.set) ? { inputs: report.set.files.length } : {}),
    },
    manifest:
      report.manifest === undefined
        ? null
        : report.manifest === 'config list'
          ? { list: true }
          : paths(report.manifest, cwd),
    steps: report.steps,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      ...paths(d.file, cwd),
      ...(d.line === undefined ? {} : { line: d.line }),
      ...(d.fix === undefined ? {} : { fix: d.fix }),
      ...(d.related?.length
        ? {
            related: d.related.map((r) => ({
              ...paths(r.file, cwd),
              ...(r.line === undefined ? {} : { line: r.line }),
            })),
          }
        : {}),
    })),
    summary: {
      errors: verdict.errors,
      warnings: verdict.warnings,
      files: verdict.files,
      migrations: report.set.migrations.length,
      ms: Math.round(report.ms),
    },
  }
}
