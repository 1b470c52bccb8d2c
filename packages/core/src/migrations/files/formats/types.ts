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

/**
 * How sure a format module is that a folder is in its format, and which files say so:
 * - 0: not at all;
 * - 1: file names fit (numbered `.sql` files, which several tools share);
 * - 2: the layout fits (`<name>/migration.sql` folders, which Prisma and drizzle v1 share);
 * - 3: a file only this tool writes proves it (`-- +goose Up`, `migration_lock.toml`, a drizzle
 *   journal or snapshot, `.up.sql`/`.down.sql` pairs, `-- migrate:up`, `-- Up Migration`).
 *
 * `evidence` lists the entries (relative to the folder) behind the score, so detection can tell
 * one set of files that fits two tools (a choice, with a warning) from files of two tools.
 */
export interface Detection {
  score: 0 | 1 | 2 | 3
  evidence: readonly string[]
}

/** One supported migration tool: how to recognise its folders and read them. */
export interface FormatModule {
  format: MigrationFormat
  /** The tool's own version table. */
  defaultVersionTable: VersionTable
  /** How sure this module is that the folder is in its format (see {@link Detection}). */
  detect(context: FormatContext): Promise<Detection>
  /** Reads and parses every migration in the folder, both directions. */
  load(context: FormatContext): Promise<FormatLoadResult>
}
