import type { Diagnostic } from '../../diagnostics.js'
import { FORMAT_MODULES } from './formats/index.js'
import type { FormatContext, FormatModule } from './formats/types.js'
import type { MigrationFormat } from '../types.js'
import { IGNORED_FILES } from './validate-stray.js'

/** What each format's proof looks like, for messages. */
const EVIDENCE: Record<MigrationFormat, { proof: string; names: string }> = {
  goose: { proof: 'a `-- +goose Up` annotation', names: '`00001_name.sql` names' },
  'golang-migrate': {
    proof: '`{version}_{title}.up.sql` / `.down.sql` names',
    names: '`{version}_{title}.up.sql` names',
  },
  drizzle: {
    proof: 'a `meta/_journal.json` or `<YYYYMMDDhhmmss>_<name>/migration.sql` folders',
    names: 'a `meta/_journal.json`',
  },
  dbmate: { proof: 'a `-- migrate:up` directive', names: '`<digits>_name.sql` names' },
}

const FORMAT_FIX =
  "set the `format` option to 'goose', 'golang-migrate', 'drizzle' or 'dbmate' (in the plugin options or pgtestbed.config.*)"

const orList = (items: string[]) =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`

/** The result of {@link detectFormat}: a module, or the diagnostics that say why there is none. */
export interface DetectResult {
  module: FormatModule | null
  diagnostics: Diagnostic[]
}

/**
 * Asks every format module how sure it is that the folder is in its format (0 no, 1 names fit,
 * 2 content or layout proves it) and picks the single most certain one. Nothing certain →
 * FORMAT_UNKNOWN (or NO_MIGRATIONS for an empty folder); a tie at the top → FORMAT_AMBIGUOUS.
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
  const scores = await Promise.all(
    modules.map(async (m) => ({ m, score: await m.detect(context) })),
  )
  const best = Math.max(...scores.map((s) => s.score))
  const top = scores.filter((s) => s.score === best).map((s) => s.m)
  if (best > 0 && top.length === 1) return { module: top[0] ?? null, diagnostics: [] }
  if (best === 0) {
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
  const clue = (m: FormatModule) =>
    `${m.format} (${best === 2 ? EVIDENCE[m.format].proof : EVIDENCE[m.format].names})`
  return {
    module: null,
    diagnostics: [
      {
        severity: 'error',
        code: 'FORMAT_AMBIGUOUS',
        message:
          best === 2
            ? `${where} holds files of more than one migration tool: ${top.map(clue).join(' and ')}`
            : `the file names in ${where} fit ${top.map(clue).join(' and ')}, but no file has ${orList(top.map((m) => EVIDENCE[m.format].proof))}`,
        fix: FORMAT_FIX,
      },
    ],
  }
}
