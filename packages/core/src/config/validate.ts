import { diffConfigProblems, driftProblems } from '../diff/drift-options.js'
import { PgtestbedError } from '../errors.js'
import { checkOverrides, resolveLintRules } from '../lint/settings.js'
import type { LintOptions } from '../lint/types.js'
import { MIGRATION_FORMATS } from '../migrations/types.js'
import type { MigrateOptions } from '../migrations/migrator/types.js'
import type { DockerOptions } from '../servers/docker.js'
import type { EmbeddedOptions } from '../servers/embedded/server.js'
import { EMBEDDED_STORAGES } from '../servers/embedded/storage.js'
import { isMemoryBudget } from '../servers/embedded/budget.js'
import { EMBEDDED_MAJOR_VERSIONS } from '../servers/embedded/binaries-package.js'
import type { ServerChoice } from '../servers/types.js'
import type { CloneStrategy } from '../templates/clone.js'
import type { PgtestbedConfig, SweepConfig } from './types.js'

/** Checks one value; pushes `"<key> must be …, got …"` problems. */
type Check = (value: unknown, key: string, problems: string[]) => void

/**
 * The checks of every key of `T`. Each shape below is typed with it, so an option added to an
 * options interface (`EmbeddedOptions` gaining `storage`) fails to compile here until the
 * validator accepts it, instead of config files rejecting it as an unknown key.
 */
type Shape<T> = Record<keyof T, Check>

/** Every member of a string union, checked by the compiler against the union (none missing). */
const membersOf = <T extends string>(all: Record<T, true>): T[] => Object.keys(all) as T[]

const show = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value)
    : Array.isArray(value)
      ? 'an array'
      : String(value)

function expect(test: (value: unknown) => boolean, wanted: string): Check {
  return (value, key, problems) => {
    if (!test(value)) problems.push(`\`${key}\` must be ${wanted}, got ${show(value)}`)
  }
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''
const text = expect(isText, 'a non-empty string')
const bool = expect((v) => typeof v === 'boolean', 'true or false')
const count = expect((v) => Number.isSafeInteger(v) && (v as number) >= 0, 'a whole number ≥ 0')
const positive = expect((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number > 0')
const port = expect(
  (v) => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) < 65536,
  'a port number (1-65535)',
)
const textList = expect(
  (v) => Array.isArray(v) && v.every(isText),
  'an array of non-empty strings (globs)',
)
const textOrList = expect(
  (v) => isText(v) || (Array.isArray(v) && v.every(isText)),
  'a string or an array of strings',
)
const oneOf = (values: readonly unknown[]) =>
  expect((v) => values.includes(v), values.map((v) => JSON.stringify(v)).join(' | '))
const settings = expect(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => ['string', 'number', 'boolean'].includes(typeof x)),
  'an object of PostgreSQL setting → string | number | boolean',
)

/** An object whose keys are checked by `shape`; unknown keys are problems. */
function object(shape: Record<string, Check>, orFalse = false): Check {
  return (value, key, problems) => {
    if (orFalse && value === false) return
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`\`${key}\` must be ${orFalse ? 'false or ' : ''}an object, got ${show(value)}`)
      return
    }
    checkKeys(value as Record<string, unknown>, shape, `${key}.`, problems)
  }
}

const embeddedShape: Shape<EmbeddedOptions> = {
  port,
  maxConnections: count,
  settings,
  osUser: text,
  startTimeoutMs: positive,
  // The server's own list, so a config file accepts exactly what the server does.
  storage: oneOf(EMBEDDED_STORAGES),
  memoryDir: text,
  memoryBudget: expect(isMemoryBudget, "bytes, a size such as '1GB' or a share such as '25%'"),
  majorVersion: oneOf(EMBEDDED_MAJOR_VERSIONS),
}

const dockerShape: Shape<DockerOptions> = {
  maxConnections: count,
  settings,
  startTimeoutMs: positive,
  image: text,
}

const sweepShape: Shape<SweepConfig> = {
  ttlMs: positive,
  keptTtlMs: positive,
  keepTemplates: count,
  templateMinAgeMs: count,
  limit: count,
}

const migrateShape: Shape<MigrateOptions> = {
  command: text,
  run: expect((v) => typeof v === 'function', 'a function ({ url, signal }) => Promise<void>'),
  inputs: textOrList,
  timeoutMs: positive,
  cwd: text,
}

/** `migrate`: its keys, then the rules between them (a tool to run, and its inputs). */
const migrate: Check = (value, key, problems) => {
  object(migrateShape)(value, key, problems)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return
  const m = value as Record<string, unknown>
  if (m.command === undefined && m.run === undefined) {
    problems.push(`\`${key}\` needs a \`command\` (a shell command) or a \`run\` function`)
  } else if (m.command !== undefined && m.run !== undefined) {
    problems.push(`\`${key}\` takes a \`command\` or a \`run\` function, not both`)
  }
  if (m.inputs === undefined) {
    problems.push(
      `\`${key}.inputs\` is required: the files that shape the schema (globs), which decide when the template is rebuilt`,
    )
  }
}

/** `lint.rules` and `lint.overrides` are checked by the lint engine's own resolvers (below). */
const lintShape: Shape<LintOptions> = { rules: () => {}, overrides: () => {} }

/** Every key a config file may set, with its check. */
const CONFIG_SHAPE: Shape<PgtestbedConfig> = {
  migrations: text,
  format: oneOf(['auto', ...MIGRATION_FORMATS]),
  table: text,
  schema: text,
  ignore: textList,
  manifest: expect(
    (v) => v === false || isText(v) || (Array.isArray(v) && v.every(isText)),
    `'auto', false, a path to a manifest file, or an array of migration file names`,
  ),
  seeds: textOrList,
  verifyDown: bool,
  lint: (value, key, problems) => {
    if (typeof value === 'boolean') return
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(
        `\`${key}\` must be true, false or { rules: { LINT_…: 'error' | 'warning' | 'off' } }, got ${show(value)}`,
      )
      return
    }
    const { rules, overrides, ...rest } = value as Record<string, unknown>
    checkKeys(rest, lintShape, `${key}.`, problems)
    try {
      resolveLintRules(rules, `${key}.rules`)
      checkOverrides(overrides, `${key}.overrides`)
    } catch (error) {
      problems.push((error as Error).message.replace(/^(\S+)/, '`$1`'))
    }
  },
  pool: count,
  cloneStrategy: oneOf(membersOf<CloneStrategy>({ auto: true, wal_log: true, file_copy: true })),
  lockTimeoutMs: positive,
  baseTemplate: text,
  templateCache: text,
  sweep: object(sweepShape, true),
  server: oneOf(membersOf<ServerChoice>({ auto: true, url: true, embedded: true, docker: true })),
  url: text,
  cacheDir: text,
  embedded: object(embeddedShape),
  docker: object(dockerShape),
  migrate,
  envVar: expect(
    (v) => typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v),
    'an environment variable name',
  ),
  keepOnFailure: bool,
  drift: (value, key, problems) => problems.push(...driftProblems(value, key)),
  diff: (value, key, problems) => problems.push(...diffConfigProblems(value, key)),
}

function checkKeys(
  value: Record<string, unknown>,
  shape: Record<string, Check>,
  prefix: string,
  problems: string[],
): void {
  for (const [key, item] of Object.entries(value)) {
    const check = shape[key]
    if (!check) {
      const known = Object.keys(shape)
      const guess = closest(key, known)
      problems.push(
        `unknown key \`${prefix}${key}\`${guess ? ` (did you mean \`${prefix}${guess}\`?)` : ''}; accepted keys: ${known.join(', ')}`,
      )
      continue
    }
    if (item !== undefined) check(item, `${prefix}${key}`, problems)
  }
}

/**
 * Checks what a config file exported and returns it typed; every problem is listed at once.
 *
 * `ownKeys` are keys the caller accepts and checks itself (a runner's own options): they are not
 * reported, and an unknown key's message lists them with the config's.
 *
 * @throws PgtestbedError INVALID_OPTIONS naming each bad key, what it accepts and the file.
 * @example
 * validateConfig({ migrations: './db' }, '/repo/pgtestbed.config.json') // { migrations: './db' }
 */
export function validateConfig(
  value: unknown,
  file: string,
  ownKeys: readonly string[] = [],
): PgtestbedConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `${file} must export a config object, got ${value === undefined ? 'nothing' : show(value)}`,
      {
        fix: file.endsWith('.json')
          ? 'write a JSON object such as { "migrations": "./migrations" }'
          : "export it as the default export: export default defineConfig({ migrations: './migrations' })",
      },
    )
  }
  const problems: string[] = []
  // Keys a runner adds (Vitest's `projects`, `configFile`) are its to check, but an unknown key's
  // message must list them with the rest.
  const shape = ownKeys.length
    ? { ...CONFIG_SHAPE, ...Object.fromEntries(ownKeys.map((k): [string, Check] => [k, () => {}])) }
    : CONFIG_SHAPE
  checkKeys(value as Record<string, unknown>, shape, '', problems)
  if (problems.length > 0) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `invalid pgtestbed config in ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { fix: `correct ${problems.length === 1 ? 'this key' : 'these keys'} in ${file}` },
    )
  }
  return value as PgtestbedConfig
}

/** The candidate closest to `key` when it is a plausible typo (edit distance ≤ 2), else undefined. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of candidates) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    }
    previous = current
  }
  return previous[b.length]!
}
