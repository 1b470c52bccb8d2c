import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type {
  Migration,
  MigrationSection,
  MigrationSet,
  Statement,
  VersionTable,
} from '../../src/migrations/types.js'

/**
 * Builds `MigrationSet`s for applier tests: writes real migration files into a folder and
 * describes them exactly as the format modules do (statement text, 1-based lines, transaction
 * flag, version record), without depending on discovery.
 */

/** Runs `fn` with a fresh temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pgtestbed-h3-'))
  try {
    return await fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Lines of `text` joined into a file, remembering where each statement landed. */
class FileBuilder {
  private lines: string[] = []

  /** Appends raw lines. Returns the 1-based line of the first. */
  add(text: string): number {
    const first = this.lines.length + 1
    this.lines.push(...text.split('\n'))
    return first
  }

  /** Appends a statement and returns it with its lines. */
  statement(sql: string): Statement {
    const line = this.add(sql)
    return { sql, line, endLine: line + sql.split('\n').length - 1 }
  }

  get line(): number {
    return this.lines.length + 1
  }

  text(): string {
    return `${this.lines.join('\n')}\n`
  }
}

/** One goose migration to write. */
export interface GooseSpec {
  version: number
  name: string
  /** Up statements; each ends with `;`. A statement holding `$$` is wrapped in StatementBegin/End. */
  up: string[]
  /** Down statements; `null` writes no Down annotation. Default: `[]`. */
  down?: string[] | null
  /** Writes `-- +goose NO TRANSACTION`. Default: false. */
  noTransaction?: boolean
  /** Text put above `-- +goose Up` (comments). */
  header?: string
}

/** Writes goose files `NNNNN_name.sql` into `dir` and returns the set. */
export function gooseSet(
  dir: string,
  specs: GooseSpec[],
  versionTable?: VersionTable,
): MigrationSet {
  const migrations = specs.map((spec, index): Migration => {
    const file = path.join(dir, `${String(spec.version).padStart(5, '0')}_${spec.name}.sql`)
    const b = new FileBuilder()
    if (spec.header) b.add(spec.header)
    if (spec.noTransaction) b.add('-- +goose NO TRANSACTION')
    const upLine = b.add('-- +goose Up')
    const section = (statements: string[], line: number): MigrationSection => ({
      file,
      line,
      transaction: !spec.noTransaction,
      statements: statements.map((sql) => {
        if (!sql.includes('$$')) return b.statement(sql)
        b.add('-- +goose StatementBegin')
        const statement = b.statement(sql)
        b.add('-- +goose StatementEnd')
        return statement
      }),
    })
    const up = section(spec.up, upLine)
    let down: MigrationSection | null = null
    if (spec.down !== null) {
      b.add('')
      down = section(spec.down ?? [], b.add('-- +goose Down'))
    }
    writeFileSync(file, b.text())
    return {
      format: 'goose',
      index,
      version: String(spec.version),
      versionNumber: BigInt(spec.version),
      description: spec.name,
      files: [file],
      up,
      down,
      record: { format: 'goose', versionId: BigInt(spec.version) },
    }
  })
  return makeSet(dir, 'goose', migrations, versionTable ?? { table: 'goose_db_version' })
}

/** One golang-migrate migration: whole-file Up and Down texts. */
export interface GolangMigrateSpec {
  version: number
  name: string
  up: string
  /** `null` writes no `.down.sql`. Default: `''`. */
  down?: string | null
}

/** Writes `N_name.up.sql` / `.down.sql` pairs and returns the set. */
export function golangMigrateSet(dir: string, specs: GolangMigrateSpec[]): MigrationSet {
  const migrations = specs.map((spec, index): Migration => {
    const whole = (direction: 'up' | 'down', text: string): MigrationSection => {
      const file = path.join(dir, `${spec.version}_${spec.name}.${direction}.sql`)
      writeFileSync(file, text)
      const leading = /^\s*/.exec(text)?.[0].split('\n').length ?? 1
      const statements =
        text.trim() === ''
          ? []
          : [{ sql: text, line: leading, endLine: text.trimEnd().split('\n').length }]
      return { file, line: 1, statements, transaction: false }
    }
    const up = whole('up', spec.up)
    const down = spec.down === null ? null : whole('down', spec.down ?? '')
    return {
      format: 'golang-migrate',
      index,
      version: String(spec.version),
      versionNumber: BigInt(spec.version),
      description: spec.name,
      files: down ? [up.file, down.file] : [up.file],
      up,
      down,
      record: { format: 'golang-migrate', version: BigInt(spec.version) },
    }
  })
  return makeSet(dir, 'golang-migrate', migrations, { table: 'schema_migrations' })
}

/** One dbmate migration. */
export interface DbmateSpec {
  /** The digits exactly as in the file name. */
  version: string
  name: string
  up: string
  /** `null` writes no down block. Default: `''`. */
  down?: string | null
  /** Writes `transaction:false` on the up directive. Default: true. */
  transaction?: boolean
}

/** Writes dbmate files and returns the set (each block, directive included, is one statement). */
export function dbmateSet(
  dir: string,
  specs: DbmateSpec[],
  versionTable?: VersionTable,
): MigrationSet {
  const migrations = specs.map((spec, index): Migration => {
    const file = path.join(dir, `${spec.version}_${spec.name}.sql`)
    const b = new FileBuilder()
    const block = (directive: string, body: string, transaction: boolean): MigrationSection => {
      const statement = b.statement(`${directive}\n${body}`)
      return { file, line: statement.line, statements: [statement], transaction }
    }
    const transaction = spec.transaction ?? true
    const up = block(
      `-- migrate:up${transaction ? '' : ' transaction:false'}`,
      spec.up,
      transaction,
    )
    const down = spec.down === null ? null : block('-- migrate:down', spec.down ?? '', true)
    writeFileSync(file, b.text())
    return {
      format: 'dbmate',
      index,
      version: spec.version,
      versionNumber: BigInt(spec.version),
      description: spec.name,
      files: [file],
      up,
      down,
      record: { format: 'dbmate', version: spec.version },
    }
  })
  return makeSet(dir, 'dbmate', migrations, versionTable ?? { table: 'schema_migrations' })
}

/** One drizzle journal entry (or v1 folder when `folder` is set). */
export interface DrizzleSpec {
  tag: string
  /** Journal `when` (ms); v1 folders derive it from their name. */
  when: number
  /** Statements joined with `--> statement-breakpoint`. */
  statements: string[]
}

/** The hash drizzle records: SHA-256 hex of the whole file. */
export function drizzleHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * Writes a drizzle folder — `meta/_journal.json` + `<tag>.sql` (journal layout), or
 * `<tag>/migration.sql` (v1 folders, `tag` like `20240102030405_name`) — and returns the set.
 */
export function drizzleSet(
  dir: string,
  specs: DrizzleSpec[],
  layout: 'journal' | 'folders' = 'journal',
): MigrationSet {
  const migrations = specs.map((spec, index): Migration => {
    const folder = layout === 'folders' ? path.join(dir, spec.tag) : dir
    mkdirSync(folder, { recursive: true })
    const file = path.join(folder, layout === 'folders' ? 'migration.sql' : `${spec.tag}.sql`)
    const text = spec.statements.join('\n--> statement-breakpoint\n')
    writeFileSync(file, text)
    let line = 1
    const statements = text.split('--> statement-breakpoint').map((sql) => {
      const lines = sql.split('\n')
      const first = lines.findIndex((l) => l.trim() !== '')
      const last = lines.length - 1 - [...lines].reverse().findIndex((l) => l.trim() !== '')
      const statement = { sql, line: line + Math.max(first, 0), endLine: line + last }
      line += lines.length - 1
      return statement
    })
    return {
      format: 'drizzle',
      index,
      version: spec.tag,
      description: spec.tag.replace(/^\d+_/, ''),
      files: [file],
      up: { file, line: 1, statements, transaction: true },
      down: null,
      record: {
        format: 'drizzle',
        hash: drizzleHash(text),
        createdAt: spec.when,
        ...(layout === 'folders' ? { name: spec.tag } : {}),
      },
    }
  })
  if (layout === 'journal') {
    mkdirSync(path.join(dir, 'meta'), { recursive: true })
    const entries = specs.map((s, idx) => ({
      idx,
      version: '7',
      when: s.when,
      tag: s.tag,
      breakpoints: true,
    }))
    writeFileSync(
      path.join(dir, 'meta', '_journal.json'),
      JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2),
    )
  }
  const set = makeSet(dir, 'drizzle', migrations, {
    schema: 'drizzle',
    table: '__drizzle_migrations',
  })
  return { ...set, layout }
}

function makeSet(
  dir: string,
  format: MigrationSet['format'],
  migrations: Migration[],
  versionTable: VersionTable,
): MigrationSet {
  return {
    dir,
    format,
    migrations,
    files: migrations.flatMap((m) => m.files),
    versionTable,
    diagnostics: [],
  }
}
