import { ignorePatternProblems } from './ignore.js'
import type { DiffTarget } from './targets.js'

/**
 * The `drift` option (plugins and `pgtestbed.config.*`): what the migrations' schema must match
 * before any test runs. One of `{ command }` (the schema the code declares, built by a command
 * into a scratch database), `{ url }` (a live database, read only) or `{ file }` (a schema dump),
 * plus the files that decide when a command's result may be reused.
 *
 * @example
 * const drift: DriftOptions = { command: 'npx drizzle-kit push --force', inputs: ['src/db/schema.ts'] }
 */
export type DriftOptions = DiffTarget & {
  /**
   * Files (globs, relative to the project root) the command reads to build the schema: the
   * check passes once per template and content of these files, and is not repeated by warm runs
   * and watch reruns while they stay the same. A `file` target counts as its own input. Without
   * inputs a `command` is run by every test run; a `url` is always read.
   * Default: none.
   */
  inputs?: string | readonly string[]
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''
const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : String(v)

/**
 * What is wrong with a `drift` value, one line per problem (empty when it is right).
 *
 * @example
 * driftProblems({ command: 'x', url: 'y' }, 'drift') // ['`drift` must have exactly one of command, url, file; it has command and url']
 */
export function driftProblems(value: unknown, key: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`\`${key}\` must be { command } | { url } | { file }, got ${show(value)}`]
  }
  const v = value as Record<string, unknown>
  const problems: string[] = []
  const known: Record<string, (x: unknown) => boolean> = {
    command: isText,
    url: (x) => isText(x) && /^postgres(ql)?:\/\//.test(x),
    file: isText,
    cwd: isText,
    timeoutMs: (x) => typeof x === 'number' && Number.isFinite(x) && x > 0,
    inputs: (x) => isText(x) || (Array.isArray(x) && x.every(isText)),
  }
  const wanted: Record<string, string> = {
    command: 'a non-empty string',
    url: 'a postgres:// URL',
    file: 'a non-empty string',
    cwd: 'a non-empty string',
    timeoutMs: 'a number > 0',
    inputs: 'a string or an array of strings',
  }
  for (const [name, item] of Object.entries(v)) {
    if (item === undefined) continue
    const check = known[name]
    if (!check) {
      problems.push(
        `unknown key \`${key}.${name}\`; accepted keys: ${Object.keys(known).join(', ')}`,
      )
    } else if (!check(item)) {
      problems.push(
        `\`${key}.${name}\` must be ${wanted[name]}, got ${name === 'url' ? 'something else' : show(item)}`,
      )
    }
  }
  // Which target it is matters once its keys are right.
  const targets = ['command', 'url', 'file'].filter((k) => v[k] !== undefined)
  if (problems.length === 0 && targets.length !== 1) {
    problems.push(
      `\`${key}\` must have exactly one of command, url, file; it has ${targets.length === 0 ? 'none' : targets.join(' and ')}`,
    )
  }
  if (v.command === undefined && (v.cwd !== undefined || v.timeoutMs !== undefined)) {
    problems.push(`\`${key}.cwd\` and \`${key}.timeoutMs\` only go with \`${key}.command\``)
  }
  return problems
}

/**
 * What is wrong with a `diff` value (`{ ignore: [patterns] }`).
 *
 * @example
 * diffConfigProblems({ ignore: ['tabel x'] }, 'diff') // ['`diff.ignore`: "tabel x" starts with "tabel", …']
 */
export function diffConfigProblems(value: unknown, key: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      `\`${key}\` must be an object such as { ignore: ['table public.audit_*'] }, got ${show(value)}`,
    ]
  }
  const problems: string[] = []
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    if (name !== 'ignore') {
      problems.push(`unknown key \`${key}.${name}\`; accepted keys: ignore`)
      continue
    }
    if (item === undefined) continue
    if (!Array.isArray(item) || !item.every(isText)) {
      problems.push(
        `\`${key}.ignore\` must be an array of patterns such as 'table public.audit_*', got ${show(item)}`,
      )
      continue
    }
    for (const problem of ignorePatternProblems(item))
      problems.push(`\`${key}.ignore\`: ${problem}`)
  }
  return problems
}
