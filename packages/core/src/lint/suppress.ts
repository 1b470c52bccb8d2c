import type { SourceFile } from './source.js'

/** The marker that starts a suppression comment. */
const SUPPRESSION_MARKER = 'pgtestbed-lint-ignore'

/**
 * One `-- pgtestbed-lint-ignore CODE[, CODE…]: reason` comment.
 *
 * It silences the named rules for the command whose lines it sits on (its own line inside the
 * command, or a trailing comment on one of its lines), or for the command right below it when
 * it is in the block of comment lines directly above the command (no blank line in between).
 */
export interface Suppression {
  /** 1-based line of the comment. */
  line: number
  /** The codes it names, as written. */
  codes: string[]
  /** The text after the colon, trimmed; empty when missing. */
  reason: string
}

/** Finds every suppression comment in a file (one per line at most). */
export function findSuppressions(source: SourceFile): Map<number, Suppression> {
  const found = new Map<number, Suppression>()
  source.lines.forEach((text, i) => {
    const parsed = parseSuppression(text)
    if (parsed) found.set(i + 1, { line: i + 1, ...parsed })
  })
  return found
}

/**
 * Reads the suppression in one line, if it has one: `--`, optional spaces, the marker, the codes
 * (separated by commas or spaces), then `:` and the reason.
 *
 * @example
 * parseSuppression('-- pgtestbed-lint-ignore LINT_DROP_TABLE: archived in 2023')
 * // { codes: ['LINT_DROP_TABLE'], reason: 'archived in 2023' }
 */
export function parseSuppression(text: string): Omit<Suppression, 'line'> | undefined {
  const at = text.indexOf(SUPPRESSION_MARKER)
  if (at === -1) return undefined
  const before = text.slice(0, at).trimEnd()
  if (!before.endsWith('--')) return undefined
  const rest = text.slice(at + SUPPRESSION_MARKER.length)
  const colon = rest.indexOf(':')
  const codePart = colon === -1 ? rest : rest.slice(0, colon)
  const reason = colon === -1 ? '' : rest.slice(colon + 1).trim()
  return { codes: codePart.split(/[\s,]+/).filter(Boolean), reason }
}

/** True when a line is only a `--` comment (or a goose/dbmate annotation, which is one). */
function isCommentLine(text: string | undefined): boolean {
  return text?.trimStart().startsWith('--') === true
}

/**
 * The suppressions that apply to a command on lines `line`..`endLine` of a file: those on its
 * own lines and those in the contiguous comment block directly above it.
 */
export function suppressionsFor(
  source: SourceFile,
  suppressions: Map<number, Suppression>,
  line: number,
  endLine: number,
): Suppression[] {
  if (suppressions.size === 0) return []
  const out: Suppression[] = []
  for (let l = line; l <= endLine; l++) {
    const s = suppressions.get(l)
    if (s) out.push(s)
  }
  for (let l = line - 1; l >= 1 && isCommentLine(source.lines[l - 1]); l--) {
    const s = suppressions.get(l)
    if (s) out.push(s)
  }
  return out
}
