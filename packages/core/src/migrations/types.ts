import type { Diagnostic } from '../diagnostics.js'

/** The migration tools pgtestbed reads natively. */
export type MigrationFormat =
  'goose' | 'golang-migrate' | 'prisma' | 'drizzle' | 'dbmate' | 'node-pg-migrate'

/**
 * All formats, in detection order: when a folder fits two formats equally well (the same files
 * prove both), the first one here is chosen and a FORMAT_AMBIGUOUS warning says so.
 */
export const MIGRATION_FORMATS: readonly MigrationFormat[] = [
  'goose',
  'golang-migrate',
  'prisma',
  'drizzle',
  'dbmate',
  'node-pg-migrate',
]

/** Options that say where the migrations are and how to read them. */
export interface MigrationsOptions {
  /**
   * The migrations folder, relative to `cwd`.
   * Default: `'./migrations'`.
   */
  migrations?: string
  /**
   * The migration tool whose files and version table to use. `'auto'` detects it from the folder.
   * Default: `'auto'`.
   */
  format?: MigrationFormat | 'auto'
  /**
   * The version table's name. Default: the tool's own (`goose_db_version`, `schema_migrations`,
   * `__drizzle_migrations`, `_prisma_migrations`, `pgmigrations`). Change it only if you changed
   * it in the tool too.
   */
  table?: string
  /**
   * The version table's schema. Default: the connection's current schema, except drizzle's
   * `drizzle` schema and Prisma's and node-pg-migrate's `public`.
   */
  schema?: string
  /**
   * The folder relative paths are resolved against.
   * Default: `process.cwd()`.
   */
  cwd?: string
  /**
   * Environment used for goose `-- +goose ENVSUB ON` substitution.
   * Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>
  /**
   * Files and folders in the migrations folder that are not migrations and that `STRAY_FILE`
   * must not report (globs relative to the folder; a folder name covers everything in it):
   * `['README.md', 'testdata', 'archive']`. Migrations the tool applies are read whatever this says.
   * Default: `[]`.
   */
  ignore?: readonly string[]
}

/** Default migrations folder. */
export const DEFAULT_MIGRATIONS_DIR = './migrations'

/** Default manifest file name, looked up inside the migrations folder. */
export const DEFAULT_MANIFEST_FILE = 'pgtestbed.sum'

/**
 * One unit of SQL that pgtestbed sends to the server in one `query()` call (simple protocol),
 * exactly as the original tool would send it.
 */
export interface Statement {
  /** The SQL text, exactly as the tool sends it (goose trims; drizzle keeps whitespace). */
  sql: string
  /** 1-based line in the source file where the statement's first kept line is. */
  line: number
  /** 1-based line in the source file where the statement's last line is. */
  endLine: number
}

/** The Up or Down part of a migration. */
export interface MigrationSection {
  /** Absolute path of the file that holds this section. */
  file: string
  /** 1-based line of the section marker (`-- +goose Up`, `-- migrate:up`), or 1 when the whole file is the section. */
  line: number
  /** The statements, in order. May be empty (an empty section is valid in every format). */
  statements: Statement[]
  /** Whether the tool runs this section inside a transaction. */
  transaction: boolean
}

/**
 * What the migration tool writes into its own version table when this migration is applied;
 * the applier writes exactly this, so a database built by pgtestbed is indistinguishable from
 * one built by the tool.
 */
export type VersionRecord =
  /** goose: a `goose_db_version` row `(version_id, is_applied=true)`. */
  | { format: 'goose'; versionId: bigint }
  /** golang-migrate: the single `schema_migrations` row `(version, dirty=false)`. */
  | { format: 'golang-migrate'; version: bigint }
  /** dbmate: a `schema_migrations` row `(version)`, the digits exactly as in the file name. */
  | { format: 'dbmate'; version: string }
  /**
   * drizzle: a `__drizzle_migrations` row `(hash, created_at)`; `hash` is the SHA-256 hex of
   * the whole file, `createdAt` the journal's `when` (or, for the v1 folder layout, the folder
   * timestamp in ms) and `name` the v1 folder name.
   */
  | { format: 'drizzle'; hash: string; createdAt: number; name?: string }
  /**
   * Prisma Migrate: a `_prisma_migrations` row; `name` is the migration folder's name, `checksum`
   * the SHA-256 hex of `migration.sql` exactly as read (line endings kept).
   */
  | { format: 'prisma'; name: string; checksum: string }
  /** node-pg-migrate: a `pgmigrations` row `(name, run_on)`, the file name without its extension. */
  | { format: 'node-pg-migrate'; name: string }

/** One migration: its identity, both directions parsed up front, and what to record. */
export interface Migration {
  format: MigrationFormat
  /** 0-based position in apply order. */
  index: number
  /**
   * The version as the tool shows it: goose and golang-migrate the integer without leading
   * zeros, dbmate the digit prefix as written, drizzle the journal tag (or v1 folder name),
   * Prisma the migration folder's name, node-pg-migrate the file name without its extension.
   */
  version: string
  /**
   * The numeric version where the format has one (goose, golang-migrate, dbmate, node-pg-migrate's
   * digit prefix), used for ordering and gap checks.
   */
  versionNumber?: bigint
  /** The human part of the name (`create_users`). */
  description: string
  /**
   * The files that make up this migration, absolute paths, Up file first (golang-migrate:
   * `.up.sql` then `.down.sql`; drizzle v1: `migration.sql`).
   */
  files: string[]
  /** The Up section. Applying a migration runs this and nothing else. */
  up: MigrationSection
  /** The Down section, or `null` when the format has none (drizzle) or the file declares none. */
  down: MigrationSection | null
  /** What the applier records in the version table. */
  record: VersionRecord
}

/** Where and how the tool records applied versions. */
export interface VersionTable {
  /** Schema of the table; `undefined` means the connection's `current_schema()` (goose, golang-migrate, dbmate default). */
  schema?: string
  /**
   * Table name: `goose_db_version`, `schema_migrations`, `__drizzle_migrations`,
   * `_prisma_migrations` or `pgmigrations`.
   */
  table: string
}

/** Everything discovery found in one migrations folder. */
export interface MigrationSet {
  /** Absolute path of the migrations folder. */
  dir: string
  format: MigrationFormat
  /**
   * Set when no format could be told (the folder is missing or unreadable, or its files fit no
   * format) and none was asked for: `format` is then only a placeholder.
   */
  formatUnknown?: true
  /** drizzle only: the 0.x journal layout or the v1 folder-per-migration layout. */
  layout?: 'journal' | 'folders'
  /** The migrations in apply order (only those that parsed well enough to be applied). */
  migrations: Migration[]
  /**
   * Every file that shapes the schema, absolute paths, in a stable order (migration files and,
   * for drizzle's journal layout, `meta/_journal.json`; Prisma's `migration_lock.toml`).
   * Fingerprints and manifests hash these.
   */
  files: string[]
  /** The version table the tool uses, with the options applied. */
  versionTable: VersionTable
  /** Problems found during discovery, parsing and validation (errors and warnings). */
  diagnostics: Diagnostic[]
}
