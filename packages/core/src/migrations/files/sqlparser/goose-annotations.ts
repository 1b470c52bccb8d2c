import { goQuote, goTrimSpace, startsWithDashesAfterSpace } from './go-text.js'

/** The annotations goose supports, spelled as goose documents them. */
export type GooseAnnotation =
  'Up' | 'Down' | 'StatementBegin' | 'StatementEnd' | 'NO TRANSACTION' | 'ENVSUB ON' | 'ENVSUB OFF'

/** Every supported annotation, in the order goose's README lists them. */
const GOOSE_ANNOTATIONS: readonly GooseAnnotation[] = [
  'Up',
  'Down',
  'StatementBegin',
  'StatementEnd',
  'NO TRANSACTION',
  'ENVSUB ON',
  'ENVSUB OFF',
]

/** Why goose rejected an annotation line. */
export type AnnotationProblem =
  /** The line starts with a space or tab. */
  | 'leading-whitespace'
  /** `+goose` appears more than once. */
  | 'multiple'
  /** Nothing follows `+goose`. */
  | 'empty'
  /** What follows `+goose` is not a supported annotation (any spacing other than one space, a typo, trailing text). */
  | 'unsupported'

/** What {@link extractAnnotation} found on a line goose treats as an annotation. */
export type AnnotationResult =
  | { ok: true; annotation: GooseAnnotation }
  | {
      ok: false
      problem: AnnotationProblem
      /** goose's own error text: `failed to parse annotation line "…": …`. */
      gooseError: string
      /**
       * True when the line is an ordinary comment that merely mentions `+goose` (text comes
       * before `+goose`, as in `-- see +goose docs`), rather than a misspelt annotation.
       */
      mention: boolean
      /** The annotation the author evidently meant, when that is clear (used to keep parsing). */
      intended?: GooseAnnotation
    }

/**
 * True when goose treats `line` as an annotation: after white space it starts with `--`, and the
 * raw line contains `+goose` anywhere.
 *
 * @example
 * isAnnotationLine('-- +goose Up') // true
 * isAnnotationLine('SELECT 1; -- +goose Down') // false: SQL comes first
 */
export function isAnnotationLine(line: string): boolean {
  return line.includes('+goose') && startsWithDashesAfterSpace(line)
}

/**
 * Validates an annotation line exactly as goose does: no leading white space, every `--` removed,
 * one `+goose` removed and no second one, the rest trimmed, non-empty and equal (ignoring case)
 * to a supported annotation.
 *
 * @example
 * extractAnnotation('-- +goose   UP ') // { ok: true, annotation: 'Up' }
 * extractAnnotation('-- +goose Up -- note').ok // false: "Up  note" is not supported
 */
export function extractAnnotation(line: string): AnnotationResult {
  const common = COMMON.get(line)
  if (common) return { ok: true, annotation: common }
  const fail = (problem: AnnotationProblem, reason: string): AnnotationResult => {
    const mention = isMention(line)
    const result: AnnotationResult = {
      ok: false,
      problem,
      gooseError: `failed to parse annotation line ${goQuote(line)}: ${reason}`,
      mention,
    }
    const intended = mention ? undefined : guessIntended(line)
    if (intended) result.intended = intended
    return result
  }
  if (line.startsWith(' ') || line.startsWith('\t')) {
    return fail(
      'leading-whitespace',
      `${goQuote(line)} contains leading whitespace: invalid annotation`,
    )
  }
  let command = line.replaceAll('--', '').replace('+goose', '')
  if (command.includes('+goose')) {
    return fail(
      'multiple',
      `${goQuote(command)} contains multiple '+goose' annotations: invalid annotation`,
    )
  }
  command = goTrimSpace(command)
  if (command === '') return fail('empty', 'empty annotation')
  const annotation = matchAnnotation(command)
  if (annotation) return { ok: true, annotation }
  return fail('unsupported', `${goQuote(command)} not supported: invalid annotation`)
}

/** The usual spelling of each annotation, answered without string surgery. */
const COMMON = new Map(GOOSE_ANNOTATIONS.map((a) => [`-- +goose ${a}`, a]))

const BY_FOLDED = new Map(GOOSE_ANNOTATIONS.map((a) => [a.toLowerCase(), a]))

/**
 * Go's `strings.EqualFold` against the supported set. Simple case folding also maps the long s
 * (U+017F) and the Kelvin sign (U+212A) onto ASCII letters; `toLowerCase` alone does not.
 */
function matchAnnotation(command: string): GooseAnnotation | undefined {
  const exact = BY_FOLDED.get(command.toLowerCase())
  if (exact || command.length > 16) return exact
  return BY_FOLDED.get(
    command
      .toLowerCase()
      .replace(/\u017f/g, 's')
      .replace(/\u212a/g, 'k'),
  )
}

/** Text between the leading dashes and `+goose` means the comment talks about goose. */
function isMention(line: string): boolean {
  const rest = line.trimStart().replace(/^-+/, '').trimStart()
  return !rest.startsWith('+goose')
}

/**
 * A lenient reading used only to keep parsing after a bad annotation: the words after the first
 * `+goose`, cut at a trailing `--` comment, with runs of white space collapsed.
 */
function guessIntended(line: string): GooseAnnotation | undefined {
  let rest = line.slice(line.indexOf('+goose') + '+goose'.length)
  const comment = rest.indexOf('--')
  if (comment >= 0) rest = rest.slice(0, comment)
  if (rest.includes('+goose')) rest = rest.replaceAll('+goose', ' ')
  const words = rest.trim().split(/\s+/).join(' ')
  return words === '' ? undefined : matchAnnotation(words)
}
