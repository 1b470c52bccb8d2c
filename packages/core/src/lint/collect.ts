import type { Diagnostic } from '../diagnostics.js'
import type { Finding } from './context.js'
import type { SourceFile } from './source.js'
import { findSuppressions, suppressionsFor, type Suppression } from './suppress.js'
import type { LintSettings } from './settings.js'
import { isLintRuleCode } from './types.js'

/** Where a finding is: the line it is reported on and the command's lines (for suppressions). */
export interface FindingPlace {
  file: string
  line: number
  /** First line of the command (suppressions above it count). Default: `line`. */
  from?: number
  /** Last line of the command. Default: `line`. */
  to?: number
}

/**
 * Turns findings into diagnostics: applies the configured severities, drops findings silenced by
 * a valid suppression comment, and reports invalid suppression comments.
 */
export class Collector {
  readonly diagnostics: Diagnostic[] = []
  private readonly suppressions = new Map<string, Map<number, Suppression>>()

  constructor(
    private readonly settingOf: LintSettings,
    private readonly sources: Map<string, SourceFile | undefined>,
  ) {}

  add(finding: Finding, place: FindingPlace): void {
    const severity = this.settingOf(finding.code, place.file)
    if (severity === 'off') return
    const source = this.sources.get(place.file)
    if (source) {
      const silenced = suppressionsFor(
        source,
        this.suppressionsOf(place.file, source),
        place.from ?? place.line,
        place.to ?? place.line,
      ).some((s) => s.reason !== '' && s.codes.includes(finding.code))
      if (silenced) return
    }
    this.diagnostics.push({
      severity,
      code: finding.code,
      message: finding.message,
      file: place.file,
      line: place.line,
      fix: finding.fix,
      ...(finding.related ? { related: finding.related } : {}),
    })
  }

  /** Reports suppression comments without a reason or naming unknown codes, in every linted file. */
  reportInvalidSuppressions(): void {
    for (const [file, source] of this.sources) {
      if (!source) continue
      for (const s of this.suppressionsOf(file, source).values()) {
        const known = s.codes.filter(isLintRuleCode)
        const unknown = s.codes.filter((code) => !isLintRuleCode(code))
        const place = { file, line: s.line }
        if (s.codes.length === 0) {
          this.add(
            {
              code: 'LINT_SUPPRESSION_INVALID',
              message: 'this pgtestbed-lint-ignore comment names no rule, so it silences nothing',
              fix: 'name the rule and the reason: -- pgtestbed-lint-ignore LINT_<RULE>: <why this is safe>',
            },
            place,
          )
          continue
        }
        for (const code of unknown) {
          this.add(
            {
              code: 'LINT_SUPPRESSION_INVALID',
              message: `pgtestbed-lint-ignore names ${code}, which is not a lint rule, so it silences nothing`,
              fix: 'use a code from the lint rules table in the README (LINT_DROP_TABLE, LINT_INDEX_NOT_CONCURRENT…)',
            },
            place,
          )
        }
        if (known.length > 0 && s.reason === '') {
          this.add(
            {
              code: 'LINT_SUPPRESSION_INVALID',
              message: `pgtestbed-lint-ignore ${known.join(', ')} gives no reason, so it silences nothing`,
              fix: `write why it is safe after a colon: -- pgtestbed-lint-ignore ${known.join(', ')}: <why this is safe>`,
            },
            place,
          )
        }
      }
    }
  }

  private suppressionsOf(file: string, source: SourceFile): Map<number, Suppression> {
    let found = this.suppressions.get(file)
    if (!found) {
      found = findSuppressions(source)
      this.suppressions.set(file, found)
    }
    return found
  }
}
