import picomatch from 'picomatch'
import { KIND_ORDER } from './compare.js'
import type { SchemaSet } from '../migrations/migrator/types.js'
import type { InspectOptions } from './inspect.js'
import type { ObjectKind, SchemaObject } from './types.js'

/** `type` in a pattern stands for every kind of type. */
const TYPE_KINDS: readonly ObjectKind[] = ['enum', 'domain', 'composite type', 'range type']

/** Kinds a pattern may start with, longest first (`materialized view` before `view`). */
const PATTERN_KINDS = [...KIND_ORDER, 'type'].sort((a, b) => b.length - a.length)

/** A parsed `diff.ignore` pattern. */
interface IgnorePattern {
  kinds: readonly ObjectKind[] | undefined
  match: (name: string) => boolean
}

/**
 * Parses `[kind ]glob`: `table public.audit_*`, `schema partman`, `*.tmp_*`, `function
 * public.pg_stat_*`. The glob (`*`, `?`, `{a,b}`, `[…]`) matches the object's dotted name without
 * quotes (`public.users`, `public.users.email`; a function by `schema.name`).
 *
 * @returns the pattern, or a problem to report.
 */
function parsePattern(pattern: string): IgnorePattern | string {
  const text = pattern.trim()
  const kind = PATTERN_KINDS.find((k) => text.startsWith(`${k} `))
  const glob = kind === undefined ? text : text.slice(kind.length + 1).trim()
  if (kind === undefined && /^[a-z]+(?: [a-z]+)? +\S/.test(text)) {
    const word = text.split(' ')[0]
    return `"${pattern}" starts with "${word}", which is not a kind of object (${[...KIND_ORDER, 'type'].join(', ')})`
  }
  const kinds = kind === undefined ? undefined : kind === 'type' ? TYPE_KINDS : [kind as ObjectKind]
  return { kinds, match: picomatch(glob, { dot: true }) }
}

/**
 * The problems of a list of `diff.ignore` patterns (for config validation), one per bad pattern.
 *
 * @example
 * ignorePatternProblems(['tabel public.x']) // ['"tabel public.x" starts with "tabel", which is not a kind…']
 */
export function ignorePatternProblems(patterns: readonly string[]): string[] {
  return patterns.flatMap((p) => {
    const parsed = parsePattern(p)
    return typeof parsed === 'string' ? [parsed] : []
  })
}

/**
 * A predicate for `inspectSchema`'s `ignore` from `diff.ignore` patterns (see `DiffConfig`).
 * Everything that belongs to an ignored object (a table's columns, indexes…) is left out with it.
 *
 * @example
 * const ignore = compileIgnore(['table public.audit_*', 'schema partman'])
 */
export function compileIgnore(
  patterns: readonly string[] | undefined,
): ((object: SchemaObject) => boolean) | undefined {
  if (!patterns || patterns.length === 0) return undefined
  const parsed = patterns.map(parsePattern).filter((p): p is IgnorePattern => typeof p !== 'string')
  return (object) => {
    const name = object.path.join('.')
    return parsed.some(
      (p) => (p.kinds === undefined || p.kinds.includes(object.kind)) && p.match(name),
    )
  }
}

/** `diff` in a config file: what the comparison leaves out. */
export interface DiffConfig {
  /**
   * Objects to leave out of `pgtestbed diff`, `drift` and `verifyDown`, as `[kind ]glob`
   * patterns on the dotted name: `'table public.audit_*'`, `'schema partman'`,
   * `'function public.pg_stat_*'`, `'*.tmp_*'`. Ignoring a table ignores its columns, indexes,
   * constraints, triggers and policies. The migration tools' version tables are always left out.
   * Default: none.
   */
  ignore?: string[]
}

/** The inspection options every comparison of a migration set uses. */
export function inspectOptionsFor(set: SchemaSet, diff: DiffConfig | undefined): InspectOptions {
  const ignore = compileIgnore(diff?.ignore)
  // A migrate tool's own version table is one of the well-known ones (TOOL_VERSION_TABLES).
  const versionTables = 'versionTable' in set ? [set.versionTable] : []
  return { versionTables, ...(ignore ? { ignore } : {}) }
}
