import { structuredPatch } from 'diff'
import type pc from 'picocolors'
import type { DiffGroup, Difference, SchemaDiff, SideLabels } from './types.js'
import { plural } from '../internal/plural.js'

/** Colour functions of a report (plain text without them). */
type Colors = Pick<typeof pc, 'bold' | 'red' | 'green' | 'dim' | 'cyan'>

const PLAIN: Colors = {
  bold: String,
  red: String,
  green: String,
  dim: String,
  cyan: String,
}

/** Options of {@link formatDiffText}. */
export interface FormatDiffOptions {
  /** What the two sides are called (`migrations`, `live database`). */
  labels: SideLabels
  /** Colours (a CLI on a terminal). Default: none. */
  colors?: Colors
  /** Indent every line by this. Default: `''`. */
  indent?: string
}

/** A value short enough for one line each side. */
const INLINE_MAX = 100

/**
 * The differences as text, grouped by object, each with both sides:
 *
 * ```text
 * table public.users  (last changed by migrations/00002_add_status.sql:3)
 *   column status: type
 *     migrations:    text
 *     live database: public.mood
 *   column nickname: only in the live database: text (position 4)
 * ```
 *
 * Multi-line values (function bodies, view definitions) are shown as a line diff.
 *
 * @example
 * console.log(formatDiffText(diff, { labels: { expected: 'migrations', actual: 'live database' } }))
 */
export function formatDiffText(diff: SchemaDiff, options: FormatDiffOptions): string {
  const c = options.colors ?? PLAIN
  const indent = options.indent ?? ''
  const lines: string[] = []
  for (const group of diff.groups) {
    const origin = group.origin ? c.dim(`  (last changed by ${group.origin})`) : ''
    lines.push(`${c.bold(`${group.kind} ${group.id}`)}${origin}`)
    for (const difference of group.differences) {
      lines.push(...formatDifference(group, difference, options.labels, c))
    }
  }
  return lines.map((line) => indent + line).join('\n')
}

/** `column email` for a child of the group, `` for the group's own object. */
function subject(group: DiffGroup, d: Difference): string {
  if (d.id === group.id && d.kind === group.kind) return ''
  const prefix = `${group.id}.`
  const name = d.id.startsWith(prefix) ? d.id.slice(prefix.length) : d.id
  return `${d.kind} ${name}`
}

function formatDifference(
  group: DiffGroup,
  d: Difference,
  labels: SideLabels,
  c: Colors,
): string[] {
  const what = subject(group, d)
  if (d.change !== 'changed') {
    const side = d.change === 'only-expected' ? labels.expected : labels.actual
    const value = d.change === 'only-expected' ? d.expected : d.actual
    const colour = d.change === 'only-expected' ? c.red : c.green
    const head = what === '' ? `${group.kind} ${group.id}` : what
    return [`  ${head}: ${colour(`only in the ${side}`)}${value ? `: ${value}` : ''}`]
  }
  const head = `  ${what === '' ? '' : `${what}: `}${d.attribute}`
  const a = d.expected ?? '(none)'
  const b = d.actual ?? '(none)'
  if (!a.includes('\n') && !b.includes('\n') && a.length <= INLINE_MAX && b.length <= INLINE_MAX) {
    const width = Math.max(labels.expected.length, labels.actual.length) + 1
    return [
      head,
      `    ${`${labels.expected}:`.padEnd(width)} ${c.red(a)}`,
      `    ${`${labels.actual}:`.padEnd(width)} ${c.green(b)}`,
    ]
  }
  return [head, ...lineDiff(a, b, labels, c).map((line) => `    ${line}`)]
}

/** A unified line diff of two texts, two lines of context, headed by the side labels. */
function lineDiff(a: string, b: string, labels: SideLabels, c: Colors): string[] {
  const patch = structuredPatch(labels.expected, labels.actual, `${a}\n`, `${b}\n`, '', '', {
    context: 2,
  })
  const lines = [c.red(`--- ${labels.expected}`), c.green(`+++ ${labels.actual}`)]
  for (const hunk of patch.hunks) {
    lines.push(
      c.cyan(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`),
    )
    for (const line of hunk.lines) {
      if (line.startsWith('\\')) continue
      lines.push(line.startsWith('-') ? c.red(line) : line.startsWith('+') ? c.green(line) : line)
    }
  }
  return lines
}

/** `3 differences in 2 objects`. */
export function describeCount(diff: SchemaDiff): string {
  const differences = diff.groups.reduce((n, g) => n + g.differences.length, 0)
  return `${plural(differences, 'difference')} in ${plural(diff.groups.length, 'object')}`
}
