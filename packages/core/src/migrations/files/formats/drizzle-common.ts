import type { Migration } from '../../types.js'
import type { FormatContext } from './types.js'
import { drizzleHash, splitDrizzleSql } from './drizzle-sql.js'
import { absolute } from './file-names.js'

/** The journal of the 0.x layout, relative to the migrations folder. */
export const JOURNAL_PATH = 'meta/_journal.json'

/** What varies between the two layouts when building a {@link Migration}. */
export interface DrizzleMigrationInput {
  index: number
  /** Journal tag or v1 folder name. */
  version: string
  relativePath: string
  text: string
  createdAt: number
  /** v1 only: the folder name recorded in the `name` column. */
  name?: string
}

/**
 * Builds the migration drizzle-orm would run: the whole file split on the breakpoint marker, one
 * transaction, no Down, and the row drizzle inserts into `__drizzle_migrations`.
 */
export function toMigration(context: FormatContext, input: DrizzleMigrationInput): Migration {
  const file = absolute(context, input.relativePath)
  return {
    format: 'drizzle',
    index: input.index,
    version: input.version,
    // `0003_bright_hero` → `bright_hero`; prefix `none` gives `_name` → `name`.
    description: input.version.replace(/^[^_]*_/, ''),
    files: [file],
    up: { file, line: 1, statements: splitDrizzleSql(input.text), transaction: true },
    down: null,
    record: {
      format: 'drizzle',
      hash: drizzleHash(input.text),
      createdAt: input.createdAt,
      ...(input.name === undefined ? {} : { name: input.name }),
    },
  }
}

/** Top-level folder names in the listing (the first segment of every nested path). */
export function topLevelFolders(entries: readonly string[]): string[] {
  const folders = new Set<string>()
  for (const entry of entries) {
    const slash = entry.indexOf('/')
    if (slash > 0) folders.add(entry.slice(0, slash))
  }
  return [...folders].sort()
}

/** The part of a migration name before the first `_` (`0003` of `0003_bright_hero.sql`). */
export function numericPrefix(name: string): string {
  const underscore = name.indexOf('_')
  return underscore === -1 ? name : name.slice(0, underscore)
}
