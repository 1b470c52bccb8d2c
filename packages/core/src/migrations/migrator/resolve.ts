import { stat } from 'node:fs/promises'
import path from 'node:path'
import fg from 'fast-glob'
import type { Diagnostic } from '../../diagnostics.js'
import { PgtestbedError } from '../../errors.js'
import {
  DEFAULT_MIGRATE_TIMEOUT_MS,
  type MigrateOptions,
  type MigratorSet,
  type ResolvedMigrator,
} from './types.js'

/** Folders inputs never come from: dependencies and git's own files. */
const IGNORED = ['**/node_modules/**', '**/.git/**']

/**
 * Checks a `migrate` option given in code (plugin options, `startTestbed`); a config file is
 * checked by `validateConfig` first, with the same rules.
 *
 * @throws PgtestbedError INVALID_OPTIONS naming what is wrong.
 */
export function checkMigrateOptions(migrate: unknown): asserts migrate is MigrateOptions {
  const fail = (message: string, fix: string): never => {
    throw new PgtestbedError('INVALID_OPTIONS', `option \`migrate\`: ${message}`, { fix })
  }
  const example = "migrate: { command: 'npx knex migrate:latest', inputs: ['migrations/**'] }"
  if (typeof migrate !== 'object' || migrate === null || Array.isArray(migrate)) {
    fail(`must be an object, got ${JSON.stringify(migrate)}`, `write e.g. ${example}`)
  }
  const m = migrate as Record<string, unknown>
  const hasCommand = m.command !== undefined
  const hasRun = m.run !== undefined
  if (hasCommand === hasRun) {
    fail(
      hasCommand ? 'give `command` or `run`, not both' : 'give a `command` or a `run` function',
      `write e.g. ${example}, or migrate: { run: async ({ url }) => { … }, inputs: […] }`,
    )
  }
  if (hasCommand && (typeof m.command !== 'string' || m.command.trim() === '')) {
    fail(
      `\`command\` must be a non-empty string, got ${JSON.stringify(m.command)}`,
      `write e.g. ${example}`,
    )
  }
  if (hasRun && typeof m.run !== 'function') {
    fail(
      `\`run\` must be a function ({ url, signal }) => Promise<void>, got ${typeof m.run}`,
      'pass a function, in a pgtestbed.config.ts or the plugin options (a JSON config cannot hold one)',
    )
  }
  const inputs = typeof m.inputs === 'string' ? [m.inputs] : m.inputs
  const isText = (v: unknown) => typeof v === 'string' && v.trim() !== ''
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every(isText)) {
    fail(
      `\`inputs\` must list the files that shape the schema (globs), got ${JSON.stringify(m.inputs)}`,
      "list the migrations and the tool's config, e.g. inputs: ['db/migrations/**', 'knexfile.js']: they decide when the template is rebuilt",
    )
  }
  if (
    m.timeoutMs !== undefined &&
    !(typeof m.timeoutMs === 'number' && Number.isFinite(m.timeoutMs) && m.timeoutMs > 0)
  ) {
    fail(
      `\`timeoutMs\` must be a number of milliseconds > 0, got ${JSON.stringify(m.timeoutMs)}`,
      `leave it out for ${DEFAULT_MIGRATE_TIMEOUT_MS / 60_000} minutes`,
    )
  }
  if (m.cwd !== undefined && !isText(m.cwd)) {
    fail(
      `\`cwd\` must be a non-empty string, got ${JSON.stringify(m.cwd)}`,
      'leave it out to run in the project root',
    )
  }
}

/**
 * Resolves a `migrate` option: checks it, lists its input files and returns the set that stands
 * for it. Problems with the inputs are diagnostics (so `pgtestbed check` lists them with the
 * rest): MIGRATE_INPUT_NOT_FOUND for a pattern that matches no file, DIR_NOT_FOUND for a `cwd`
 * that does not exist.
 *
 * @param cwd the project root relative paths are resolved against. Default: `process.cwd()`.
 * @throws PgtestbedError INVALID_OPTIONS for a malformed option.
 * @example
 * const set = await resolveMigrator({ command: 'npx knex migrate:latest', inputs: ['migrations/**'] })
 * set.files // ['/repo/migrations/20240101_init.js', …]
 */
export async function resolveMigrator(
  migrate: MigrateOptions,
  cwd: string = process.cwd(),
): Promise<MigratorSet> {
  checkMigrateOptions(migrate)
  const dir = path.resolve(cwd, migrate.cwd ?? '.')
  const patterns = typeof migrate.inputs === 'string' ? [migrate.inputs] : [...migrate.inputs]
  const migrator: ResolvedMigrator = {
    kind: migrate.command === undefined ? 'function' : 'command',
    ...(migrate.command === undefined ? {} : { command: migrate.command }),
    ...(migrate.run === undefined ? {} : { run: migrate.run }),
    inputs: patterns,
    timeoutMs: migrate.timeoutMs ?? DEFAULT_MIGRATE_TIMEOUT_MS,
    cwd: dir,
  }
  const set: MigratorSet = {
    format: migrator.kind,
    dir,
    migrations: [],
    files: [],
    migrator,
    diagnostics: [],
  }
  const info = await stat(dir).catch(() => undefined)
  if (!info?.isDirectory()) {
    set.diagnostics.push({
      severity: 'error',
      code: 'DIR_NOT_FOUND',
      message: `the folder the migrate ${migrator.kind} runs in, ${dir}, does not exist`,
      fix: 'set `migrate.cwd` to an existing folder (relative to the project root), or leave it out',
    })
    return set
  }
  set.files = await listInputs(dir, patterns, set.diagnostics)
  return set
}

/** Globs `patterns` in `dir`; each positive pattern that matches nothing is a diagnostic. */
async function listInputs(
  dir: string,
  patterns: readonly string[],
  diagnostics: Diagnostic[],
): Promise<string[]> {
  // Globs want forward slashes; an absolute pattern (from a config file) stays absolute.
  const slashed = patterns.map((p) => p.split(path.sep).join('/'))
  const negated = slashed.filter((p) => p.startsWith('!')).map((p) => p.slice(1))
  const options = { cwd: dir, dot: true, onlyFiles: true, ignore: [...IGNORED, ...negated] }
  const found = new Set<string>()
  for (const [i, pattern] of slashed.entries()) {
    if (pattern.startsWith('!')) continue
    const matches = await fg(pattern, { ...options, absolute: true })
    if (matches.length === 0) {
      diagnostics.push({
        severity: 'error',
        code: 'MIGRATE_INPUT_NOT_FOUND',
        message: `migrate.inputs pattern ${JSON.stringify(patterns[i])} matches no file in ${dir}`,
        fix: "check the pattern: inputs are relative to the project root (for a config file, its folder), e.g. 'db/migrations/**'",
      })
    }
    for (const match of matches) found.add(path.normalize(match))
  }
  const relative = (file: string) => path.relative(dir, file).split(path.sep).join('/')
  return [...found].sort((a, b) => {
    const [x, y] = [relative(a), relative(b)]
    return x < y ? -1 : x > y ? 1 : 0
  })
}
