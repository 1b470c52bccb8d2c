import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import fg from 'fast-glob'
import { PgtestbedError } from '../errors.js'
import type { Queryable } from './admin.js'
import { describePgError } from './sql.js'

/** One seed file: SQL run into the template after the migrations. */
export interface SeedFile {
  /** Absolute path. */
  file: string
  /** The file's text. */
  content: string
}

/**
 * Resolves seed files and globs (relative to `cwd`) to files, in the order given (each glob's
 * matches sorted by path), without duplicates. A pattern that matches nothing is an error: a seed
 * the user declared but pgtestbed silently skipped would be a quiet failure.
 *
 * @example
 * await resolveSeeds(['seeds/base.sql', 'seeds/fixtures/*.sql'], process.cwd())
 * @throws PgtestbedError INVALID_OPTIONS when a pattern matches no file.
 */
export async function resolveSeeds(
  patterns: string | readonly string[] | undefined,
  cwd: string,
): Promise<SeedFile[]> {
  const list = typeof patterns === 'string' ? [patterns] : (patterns ?? [])
  const files: string[] = []
  for (const pattern of list) {
    const existing = fg.isDynamicPattern(pattern)
      ? await fg(pattern, { cwd, absolute: true, onlyFiles: true, dot: true })
      : await stat(path.resolve(cwd, pattern)).then(
          (info) => (info.isFile() ? [path.resolve(cwd, pattern)] : []),
          () => [],
        )
    if (existing.length === 0) {
      throw new PgtestbedError(
        'INVALID_OPTIONS',
        `seed "${pattern}" matches no file (resolved against ${cwd})`,
        { fix: 'Fix the path in the `seeds` option, or remove it.' },
      )
    }
    for (const file of existing.map((f) => path.normalize(f)).sort()) {
      if (!files.includes(file)) files.push(file)
    }
  }
  return Promise.all(files.map(async (file) => ({ file, content: await readFile(file, 'utf8') })))
}

/** The 1-based line of a 1-based character `position` in `text`. */
function lineAt(text: string, position: number): number {
  let line = 1
  for (let i = 0; i < position - 1 && i < text.length; i++) if (text[i] === '\n') line++
  return line
}

/**
 * Runs each seed file as one simple-protocol query (an implicit transaction per file).
 *
 * @throws PgtestbedError TEMPLATE_BUILD_FAILED naming the file, the line and PostgreSQL's error.
 */
export async function applySeeds(
  client: Queryable,
  seeds: readonly SeedFile[],
  databaseName: string,
): Promise<void> {
  for (const seed of seeds) {
    try {
      await client.query(seed.content)
    } catch (error) {
      const position = Number((error as { position?: string }).position)
      const where =
        Number.isFinite(position) && position > 0 ? `:${lineAt(seed.content, position)}` : ''
      throw new PgtestbedError(
        'TEMPLATE_BUILD_FAILED',
        `seed file ${seed.file}${where} failed while building template database "${databaseName}": ${describePgError(error)}`,
        {
          cause: error,
          fix: 'Fix the seed file; the template is not created until every seed runs.',
        },
      )
    }
  }
}
