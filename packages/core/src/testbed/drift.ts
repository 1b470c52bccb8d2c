import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import fg from 'fast-glob'
import { displayPath } from '../diagnostics.js'
import { isPgtestbedError, PgtestbedError } from '../errors.js'
import { redactUrl } from '../internal/pg-connect.js'
import type { SchemaSet } from '../migrations/migrator/types.js'
import type { Reporter } from '../progress.js'
import { resolveCacheDir } from '../servers/embedded/paths.js'
import type { CloneSource } from '../templates/clone.js'
import type { DriftOptions } from '../diff/drift-options.js'
import { describeCount, formatDiffText } from '../diff/report.js'
import { diffTemplate } from '../diff/run.js'
import type { DiffTarget } from '../diff/targets.js'
import type { SchemaDiff, SideLabels } from '../diff/types.js'
import type { TestbedOptions } from './types.js'

/** Bump when what a passed check means changes (the inspection reads more), so old passes expire. */
const DRIFT_CACHE_VERSION = 1

/**
 * Thrown before any test when the migrations build another schema than the `drift` target
 * (`DRIFT_DETECTED`); the message holds the report and `diff` the differences.
 *
 * @example
 * catch (error) { if (error instanceof DriftError) console.error(error.diff.groups.length) }
 */
export class DriftError extends PgtestbedError {
  readonly diff: SchemaDiff
  constructor(message: string, diff: SchemaDiff, fix: string) {
    super('DRIFT_DETECTED', message, { fix })
    this.diff = diff
  }
}

/** The target of a `drift` option, without `inputs`. */
function targetOf(drift: DriftOptions): DiffTarget {
  if ('url' in drift && drift.url !== undefined) return { url: drift.url }
  if ('file' in drift && drift.file !== undefined) return { file: drift.file }
  const { command, cwd, timeoutMs } = drift as { command: string; cwd?: string; timeoutMs?: number }
  return {
    command,
    ...(cwd === undefined ? {} : { cwd }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  }
}

/** `pgtestbed diff --command '…' --sql`: the command that shows the missing migration. */
function diffCommand(target: DiffTarget, cwd: string): string {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`
  if ('url' in target) return `npx pgtestbed diff --url ${quote(redactUrl(target.url))} --sql`
  if ('file' in target)
    return `npx pgtestbed diff --file ${quote(displayPath(path.resolve(cwd, target.file), cwd))} --sql`
  return `npx pgtestbed diff --command ${quote(target.command)} --sql`
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

/**
 * The key a passed check is remembered under, or `undefined` when it must not be remembered
 * across runs (a live database changes without any file changing; a command without inputs
 * cannot tell when the code's schema changed).
 */
async function cacheKey(
  drift: DriftOptions,
  target: DiffTarget,
  fingerprint: string,
  cwd: string,
  ignore: readonly string[] | undefined,
): Promise<string | undefined> {
  if ('url' in target) return undefined
  const patterns =
    drift.inputs === undefined
      ? []
      : typeof drift.inputs === 'string'
        ? [drift.inputs]
        : [...drift.inputs]
  if ('file' in target) patterns.push(target.file)
  else if (patterns.length === 0) return undefined
  const files = (
    await fg(
      patterns.map((p) => (path.isAbsolute(p) ? p : path.join(cwd, p)).split(path.sep).join('/')),
      { onlyFiles: true, dot: true },
    )
  ).sort()
  const contents = await Promise.all(files.map((file) => readFile(file)))
  return sha256(
    JSON.stringify({
      v: DRIFT_CACHE_VERSION,
      fingerprint,
      target,
      cwd,
      ignore: ignore ?? [],
      inputs: files.map((file, i) => [path.relative(cwd, file), sha256(contents[i]!)]),
    }),
  )
}

/** Checks that passed in this process (several projects, watch reruns), by key or target. */
const PASSED_KEY = Symbol.for('pgtestbed.drift.passed')
function passedInProcess(): Set<string> {
  const holder = globalThis as Record<symbol, Set<string> | undefined>
  return (holder[PASSED_KEY] ??= new Set())
}

/** Options of {@link checkDrift}. */
export interface CheckDriftOptions {
  /** The template that was just built or reused. */
  source: CloneSource
  /** Its migrations. */
  set: SchemaSet
  /** Its fingerprint (a new template is checked again). */
  fingerprint: string
  /** The testbed's options (`drift`, `diff`, `cwd`, `cacheDir`). */
  options: TestbedOptions & { drift: DriftOptions }
  reporter: Reporter
}

/**
 * The `drift` check of a test run, right after the template is ready: compares the template's
 * schema with the target's and throws `DRIFT_DETECTED` (with the report and the command that
 * prints the missing migration) when they differ. A passed check is remembered per template
 * fingerprint and target (plus the content of `drift.inputs`, or of the file) in
 * `<cacheDir>/drift`, so warm runs and watch reruns do not repeat it.
 *
 * @returns `'cached'` when an earlier pass was reused, `'checked'` when it ran and passed.
 * @throws DriftError DRIFT_DETECTED; PgtestbedError DIFF_COMMAND_FAILED, DIFF_FILE_FAILED,
 *   SERVER_UNREACHABLE.
 */
export async function checkDrift(options: CheckDriftOptions): Promise<'cached' | 'checked'> {
  const { options: testbed, reporter } = options
  const cwd = path.resolve(testbed.cwd ?? process.cwd())
  const target = targetOf(testbed.drift)
  const key = await cacheKey(testbed.drift, target, options.fingerprint, cwd, testbed.diff?.ignore)
  const processKey =
    key ?? sha256(JSON.stringify({ fingerprint: options.fingerprint, target, cwd }))
  const cacheDir = resolveCacheDir({
    cwd,
    ...(testbed.cacheDir ? { cacheDir: testbed.cacheDir } : {}),
  })
  const file = key && path.join(cacheDir, 'drift', `${key}.json`)
  // A live database is read every run: it changes without anything here changing.
  if (!('url' in target) && passedInProcess().has(processKey)) return 'cached'
  if (file && existsSync(file)) {
    passedInProcess().add(processKey)
    return 'cached'
  }
  const what =
    'url' in target ? 'the live database' : 'file' in target ? target.file : `\`${target.command}\``
  const step = reporter.step(`checking the migrations' schema against ${what}`)
  let result
  try {
    result = await diffTemplate({
      source: options.source,
      set: options.set,
      target,
      cwd,
      cacheDir,
      ...(testbed.diff ? { diff: testbed.diff } : {}),
    })
  } catch (error) {
    step.fail(isPgtestbedError(error) ? error.code : undefined)
    throw error
  }
  if (!result.diff.same) {
    step.fail('DRIFT_DETECTED')
    throw driftError(result.diff, result.labels, result.targetDescription, options.set, target, cwd)
  }
  step.done(`no drift: the migrations build the schema of ${what}`)
  passedInProcess().add(processKey)
  if (file) {
    // Best effort: a read-only cache folder only costs the next run the check.
    await mkdir(path.dirname(file), { recursive: true })
      .then(() =>
        writeFile(
          file,
          `${JSON.stringify({ checkedAt: new Date().toISOString(), target: result.targetDescription })}\n`,
        ),
      )
      .catch(() => {})
  }
  return 'checked'
}

function driftError(
  diff: SchemaDiff,
  labels: SideLabels,
  description: string,
  set: SchemaSet,
  target: DiffTarget,
  cwd: string,
): DriftError {
  const where = displayPath(set.dir, cwd)
  const message = `the migrations in ${where} build another schema than the ${labels.actual} (${description}): ${describeCount(diff)}\n${formatDiffText(diff, { labels, indent: '  ' })}`
  const generate = set.format === 'drizzle' ? ' (for drizzle: npx drizzle-kit generate)' : ''
  return new DriftError(
    message,
    diff,
    `Write the migration that makes these changes${generate}; \`${diffCommand(target, cwd)}\` prints its statements. If the ${labels.actual} is what is wrong, change it instead. Objects that may differ on purpose go in diff.ignore.`,
  )
}
