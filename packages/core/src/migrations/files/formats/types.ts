import type { Diagnostic } from '../../../diagnostics.js'
import type { Migration, MigrationFormat, VersionTable } from '../../types.js'

/**
 * What discovery hands a format module: the folder, its listing, and a memoised reader, so every
 * file is read once however many modules peek at it during detection.
 */
export interface FormatContext {
  /** Absolute path of the migrations folder. */
  dir: string
  /**
   * Every file below `dir`, relative paths with `/` separators, sorted. Includes files in
   * sub-folders (drizzle's `meta/` and v1 folders need them); top-level-only formats ignore those.
   */
  entries: readonly string[]
  /** Reads a file (relative to `dir`) as UTF-8, once; later calls return the same text. */
  read(relativePath: string): Promise<string>
  /** The version table after options were applied. */
  versionTable: VersionTable
  /** Environment for goose ENVSUB. */
  env: Readonly<Record<string, string | undefined>>
}

/** What a format module returns for a folder. */
export interface FormatLoadResult {
  /** The migrations in apply order, `index` set 0..n-1. Broken files are left out and reported. */
  migrations: Migration[]
  /** Every file that shapes the schema, absolute, stable order (see {@link MigrationSet.files}). */
  files: string[]
  /** Problems found while reading and parsing. */
  diagnostics: Diagnostic[]
  /** drizzle only. */
  layout?: 'journal' | 'folders'
}

/** One supported migration tool: how to recognise its folders and read them. */
export interface FormatModule {
  format: MigrationFormat
  /** The tool's own version table. */
  defaultVersionTable: VersionTable
  /**
   * How sure this module is that the folder is in its format: 0 = not at all, 1 = file names
   * match, 2 = content or layout proves it (a `-- +goose` annotation, a `meta/_journal.json`).
   */
  detect(context: FormatContext): Promise<number>
  /** Reads and parses every migration in the folder, both directions. */
  load(context: FormatContext): Promise<FormatLoadResult>
}
