import type { Diagnostic } from '../../diagnostics.js'
import { FORMAT_MODULES } from './formats/index.js'
import type { Detection, FormatContext, FormatModule } from './formats/types.js'
import { MIGRATION_FORMATS, type MigrationFormat } from '../types.js'
import { IGNORED_FILES } from './validate-stray.js'

/** What each format's proof looks like (score 3), what fits it (2) and which names fit it (1). */
const EVIDENCE: Record<MigrationFormat, { proof: string; layout?: string; names?: string }> = {
  goose: { proof: 'a `-- +goose Up` annotation', names: '`00001_name.sql` names' },
  'golang-migrate': { proof: '`{version}_{title}.up.sql` / `.down.sql` names' },
  prisma: {
    proof: 'a `migration_lock.toml`',
    layout: '`<timestamp>_<name>/migration.sql` folders',
  },
  drizzle: {
    proof: 'a `meta/_journal.json` or snapshot files',
    layout: '`<timestamp>_<name>/migration.sql` folders',
  },
  dbmate: { proof: 'a `-- migrate:up` directive', names: '`<digits>_name.sql` names' },
  'node-pg-migrate': {
    proof: 'a `-- Up Migration` marker (or `exports.up = (pgm) => …`)',
    names: '`<digits>_name.sql` names',
  },
}

const quoted = (formats: readonly string[]) => formats.map((f) => `'${f}'`)

const FORMAT_FIX = `set the \`format\` option to ${orList(quoted(MIGRATION_FORMATS))} (in the plugin options or pgtestbed.config.*)`

/** `a, b or c` (or `a, b and c`). */
function orList(items: readonly string[], word = 'or'): string {
  return items.length < 2
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} ${word} ${items.at(-1)}`
}

/** What the detection of a module at `score` rests on, for messages. */
function clue(module: FormatModule, score: number): string {
  const evidence = EVIDENCE[module.format]
  const what = score === 3 ? evidence.proof : score === 2 ? evidence.layout : evidence.names
  return `${module.format} (${what ?? evidence.proof})`
}

const sameFiles = (a: Detection, b: Detection) =>
  a.evidence.length === b.evidence.length && a.evidence.every((e, i) => e === b.evidence[i])

/** The result of {@link detectFormat}: a module, or the diagnostics that say why there is none. */
export interface DetectResult {
  module: FormatModule | null
  /** Errors when there is no module; a FORMAT_AMBIGUOUS warning when one was chosen of several. */
  diagnostics: Diagnostic[]
}

/**
 * Asks every format module how sure it is that the folder is in its format (see `Detection`:
 * 1 names fit, 2 the layout fits, 3 a file only that tool writes) and picks the most certain one.
 *
 * - Nothing fits → FORMAT_UNKNOWN (or NO_MIGRATIONS for an empty folder).
 * - Several fit best, each through other files (goose files next to dbmate files) → the folder
 *   holds migrations of two tools: FORMAT_AMBIGUOUS, an error.
 * - Several fit best through the very same files (`<name>/migration.sql` folders with neither a
 *   `migration_lock.toml` nor drizzle snapshots fit Prisma and drizzle v1) → the first in
 *   `MIGRATION_FORMATS` order is chosen, with a FORMAT_AMBIGUOUS warning naming the choice and
 *   how to pin `format`. Names alone (score 1) never decide: numbered plain SQL files fit goose,
 *   dbmate and node-pg-migrate, and that stays an error.
 *
 * `where` is how messages name the folder (e.g. `migrations/`).
 *
 * @example
 * const { module, diagnostics } = await detectFormat(context, 'migrations/')
 * module?.format // 'goose'
 */
export async function detectFormat(
  context: FormatContext,
  where: string,
  modules: readonly FormatModule[] = FORMAT_MODULES,
): Promise<DetectResult> {
  const files = context.entries.filter((e) => !IGNORED_FILES.has(e.slice(e.lastIndexOf('/') + 1)))
  if (files.length === 0) {
    return {
      module: null,
      diagnostics: [
        {
          severity: 'error',
          code: 'NO_MIGRATIONS',
          message: `the migrations folder ${where} holds no migration files`,
          fix: 'point the `migrations` option at the folder that holds your migrations, or add your first migration',
        },
      ],
    }
  }
  const detections = await Promise.all(
    modules.map(async (m) => ({ m, detection: await m.detect(context) })),
  )
  const best = Math.max(...detections.map((d) => d.detection.score))
  const top = detections.filter((d) => d.detection.score === best)
  const first = top[0]
  if (best > 0 && first && top.length === 1) return { module: first.m, diagnostics: [] }
  if (best === 0 || !first) {
    const sample = files.slice(0, 3).join(', ') + (files.length > 3 ? ', …' : '')
    return {
      module: null,
      diagnostics: [
        {
          severity: 'error',
          code: 'FORMAT_UNKNOWN',
          message: `cannot tell which migration tool the files in ${where} are for (${sample}): none has ${orList(modules.map((m) => EVIDENCE[m.format].proof))}`,
          fix: FORMAT_FIX,
        },
      ],
    }
  }
  const clues = orList(
    top.map((d) => clue(d.m, best)),
    'and',
  )
  if (best >= 2 && top.every((d) => sameFiles(d.detection, first.detection))) {
    const others = top.slice(1).map((d) => d.m.format)
    return {
      module: first.m,
      diagnostics: [
        {
          severity: 'warning',
          code: 'FORMAT_AMBIGUOUS',
          message: `the files in ${where} fit ${clues}; pgtestbed reads them as ${first.m.format}, the first of these in its detection order`,
          fix: `pin the tool in the plugin options or pgtestbed.config.*: \`format: '${first.m.format}'\` keeps this choice (and silences this warning), ${orList(others.map((f) => `\`format: '${f}'\``))} reads them as ${orList(others)}`,
        },
      ],
    }
  }
  return {
    module: null,
    diagnostics: [
      {
        severity: 'error',
        code: 'FORMAT_AMBIGUOUS',
        message:
          best >= 2
            ? `${where} holds files of more than one migration tool: ${clues}`
            : `the file names in ${where} fit ${clues}, but no file has ${orList(top.map((d) => EVIDENCE[d.m.format].proof))}`,
        fix: FORMAT_FIX,
      },
    ],
  }
}
