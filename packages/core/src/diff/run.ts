import { loadParser } from '../lint/parser.js'
import type { SchemaSet } from '../migrations/migrator/types.js'
import type { Reporter } from '../progress.js'
import type { CloneSource } from '../templates/clone.js'
import { compareSchemas } from './compare.js'
import { inspectOptionsFor, type DiffConfig } from './ignore.js'
import { indexOrigins, originOf } from './origin.js'
import { inspectTarget, inspectTemplate, type DiffTarget } from './targets.js'
import type { SchemaDiff, SchemaInspection, SideLabels } from './types.js'

/** Options of {@link diffTemplate}. */
export interface DiffTemplateOptions {
  /** The template to compare (a testbed's `info`). */
  source: CloneSource
  /** The migrations it was built from: their version table is left out, their files named. */
  set: SchemaSet
  /** What to compare it with. */
  target: DiffTarget
  /** The project root: relative paths, a command's folder, and how files are shown. */
  cwd: string
  /** What to leave out. Default: nothing but the version tables. */
  diff?: DiffConfig
  /** A command's environment. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Progress. Default: silent. */
  reporter?: Reporter
  /**
   * pgtestbed's cache folder: the template's schema is kept in `<cacheDir>/diff/` after it was
   * read once, so later diffs against the same template need no clone. Default: none (the
   * template is cloned and read every time).
   */
  cacheDir?: string
}

/** What {@link diffTemplate} found. */
export interface DiffTemplateResult {
  diff: SchemaDiff
  /** What reports call the two sides. */
  labels: SideLabels
  /** Which target it was: a database address, a command, a file. */
  targetDescription: string
  /** The two schemas (for `--sql`). */
  expected: SchemaInspection
  actual: SchemaInspection
}

/**
 * Compares the schema of a template (what the migrations build) with a target's: a live
 * database, the schema a command builds, or a dump file. Each group of differences names the
 * migration file that last touched the object, where the migrations' SQL tells.
 *
 * @example
 * const { diff, labels } = await diffTemplate({ source: testbed.info, set: testbed.set, target: { url }, cwd })
 * if (!diff.same) console.log(formatDiffText(diff, { labels }))
 * @throws PgtestbedError DIFF_COMMAND_FAILED, DIFF_FILE_FAILED, SERVER_UNREACHABLE, CLONE_FAILED.
 */
export async function diffTemplate(options: DiffTemplateOptions): Promise<DiffTemplateResult> {
  const inspect = inspectOptionsFor(options.set, options.diff)
  // Compiling the SQL parser (for the origins of differences) overlaps with the catalog reads.
  loadParser().catch(() => {})
  const [expected, target] = await Promise.all([
    inspectTemplate(options.source, inspect, options.cacheDir),
    inspectTarget(options.target, {
      adminUrl: options.source.adminUrl,
      project: options.source.project,
      cwd: options.cwd,
      inspect,
      ...(options.env ? { env: options.env } : {}),
      ...(options.reporter ? { reporter: options.reporter } : {}),
    }),
  ])
  const diff = compareSchemas(expected, target.inspection)
  if (!diff.same) {
    const names = diff.groups.map((g) => {
      const object = expected.objects.get(g.key) ?? target.inspection.objects.get(g.key)
      return object?.path[1] ?? object?.path[0] ?? g.id
    })
    const origins = await indexOrigins(options.set, options.cwd, names)
    const byKey = new Map([...expected.objects, ...target.inspection.objects])
    for (const group of diff.groups) {
      const object = byKey.get(group.key)
      const origin = object ? originOf(origins, object) : undefined
      if (origin) group.origin = origin
    }
  }
  return {
    diff,
    labels: { expected: 'migrations', actual: target.label },
    targetDescription: target.description,
    expected,
    actual: target.inspection,
  }
}
