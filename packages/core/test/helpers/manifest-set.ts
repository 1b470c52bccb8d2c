import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fg from 'fast-glob'
import { drizzleFormat } from '../../src/migrations/files/formats/drizzle.js'
import type {
  Migration,
  MigrationFormat,
  MigrationSet,
  VersionRecord,
} from '../../src/migrations/types.js'
import { folderContext } from './drizzle-context.js'

/** `test/fixtures/manifest/<name>`, absolute. */
export function manifestFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/manifest/${name}`, import.meta.url))
}

/** A temporary migrations folder; `cleanup()` removes it (call it in afterEach). */
export interface TempFolder {
  dir: string
  write(relativePath: string, text: string): Promise<void>
  remove(relativePath: string): Promise<void>
  cleanup(): Promise<void>
}

/** Creates a temporary folder, optionally copied from a fixture folder and/or filled with `files`. */
export async function tempFolder(
  options: { from?: string; files?: Record<string, string> } = {},
): Promise<TempFolder> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-manifest-'))
  const dir = path.join(root, 'migrations')
  if (options.from) await cp(options.from, dir, { recursive: true })
  else await mkdir(dir)
  const folder: TempFolder = {
    dir,
    async write(relativePath, text) {
      const file = path.join(dir, relativePath)
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, text)
    },
    remove: (relativePath) => rm(path.join(dir, relativePath)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  }
  for (const [name, text] of Object.entries(options.files ?? {})) await folder.write(name, text)
  return folder
}

function recordFor(format: MigrationFormat, digits: string): VersionRecord {
  switch (format) {
    case 'goose':
      return { format, versionId: BigInt(digits) }
    case 'golang-migrate':
      return { format, version: BigInt(digits) }
    case 'dbmate':
      return { format, version: digits }
    case 'drizzle':
    case 'prisma':
    case 'node-pg-migrate':
      throw new Error(`${format} sets come from discoverMigrations`)
  }
}

/**
 * Builds the MigrationSet discovery would hand the manifest, by hand (until discoverMigrations
 * exists): top-level `NNN_name.sql` files in version order (golang-migrate: `.up.sql` + `.down.sql`
 * pairs); drizzle folders are loaded with the real drizzleFormat. Statements are not parsed: the
 * manifest only hashes files.
 */
export async function buildSet(dir: string, format: MigrationFormat): Promise<MigrationSet> {
  if (format === 'drizzle') {
    const result = await drizzleFormat.load(await folderContext(dir))
    return {
      dir,
      format,
      ...(result.layout === undefined ? {} : { layout: result.layout }),
      migrations: result.migrations,
      files: result.files,
      versionTable: drizzleFormat.defaultVersionTable,
      diagnostics: result.diagnostics,
    }
  }
  const names = (await fg('*.sql', { cwd: dir })).sort()
  const ups = format === 'golang-migrate' ? names.filter((n) => n.endsWith('.up.sql')) : names
  const migrations: Migration[] = ups
    .map((name) => {
      const digits = /^\d+/.exec(name)?.[0] ?? '0'
      const file = path.join(dir, name)
      const down = name.replace(/\.up\.sql$/, '.down.sql')
      const files =
        format === 'golang-migrate' && down !== name && names.includes(down)
          ? [file, path.join(dir, down)]
          : [file]
      return {
        format,
        index: 0,
        version: BigInt(digits).toString(),
        versionNumber: BigInt(digits),
        description: name.replace(/^\d+_/, '').replace(/(\.up)?\.sql$/, ''),
        files,
        up: { file, line: 1, statements: [], transaction: true },
        down: null,
        record: recordFor(format, digits),
      }
    })
    .sort((a, b) =>
      a.versionNumber < b.versionNumber ? -1 : a.versionNumber > b.versionNumber ? 1 : 0,
    )
    .map((m, index) => ({ ...m, index }))
  return {
    dir,
    format,
    migrations,
    files: migrations.flatMap((m) => m.files),
    versionTable: { table: format === 'goose' ? 'goose_db_version' : 'schema_migrations' },
    diagnostics: [],
  }
}
