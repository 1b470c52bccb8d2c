import { readdirSync } from 'node:fs'
import type { Diagnostic } from '../../../diagnostics.js'
import type { Migration } from '../../types.js'
import { absolute, bomDiagnostic, isTopLevel, lastLine, loadAll, readEntry } from './file-names.js'
import { prismaChecksum } from './prisma-checksum.js'
import type { FormatContext, FormatLoadResult, FormatModule } from './types.js'

/** The file Prisma Migrate runs in each migration folder. */
const PRISMA_MIGRATION_FILE = 'migration.sql'

/** Prisma's lock file: which database provider the migrations were written for. */
const PRISMA_LOCK_FILE = 'migration_lock.toml'

/** The provider pgtestbed's migrations must be written for. */
const POSTGRESQL = 'postgresql'

/** Prisma records `migration_name` in a `VARCHAR(255)`. */
const MAX_NAME_LENGTH = 255

/**
 * Files Prisma's docs suggest keeping next to `migration.sql`: a `down.sql` written with
 * `prisma migrate diff`, run by hand to undo a failed migration. Prisma never runs them.
 */
const COMPANION_FILES = new Set(['down.sql'])

/**
 * The provider `migration_lock.toml` names, read as Prisma reads it: the first line that starts
 * with `provider`, without `provider = ` and the quotes.
 */
export function lockProvider(text: string): string | undefined {
  const line = text.split(/\r?\n/).find((l) => l.startsWith('provider'))
  if (line === undefined) return undefined
  return line.replace(/^(provider = )+/, '').replace(/^"+|"+$/g, '')
}

/** The top-level folders the way the Prisma CLI lists them: real folders, not links to one. */
function listFolders(context: FormatContext): { folders: string[]; links: string[] } {
  const folders = new Set<string>()
  const links: string[] = []
  try {
    for (const entry of readdirSync(context.dir, { withFileTypes: true })) {
      if (entry.isDirectory()) folders.add(entry.name)
      else if (
        entry.isSymbolicLink() &&
        context.entries.some((e) => e.startsWith(`${entry.name}/`))
      )
        links.push(entry.name)
    }
  } catch {
    // Discovery already listed the folder; a race with its removal shows up as missing files.
  }
  for (const entry of context.entries) {
    const slash = entry.indexOf('/')
    const folder = slash > 0 ? entry.slice(0, slash) : undefined
    if (folder !== undefined && !links.includes(folder)) folders.add(folder)
  }
  // The Prisma CLI sorts the folder names with localeCompare before applying them in that order.
  return { folders: [...folders].sort((a, b) => a.localeCompare(b)), links }
}

function checkLock(context: FormatContext, diagnostics: Diagnostic[], text: string): void {
  const provider = lockProvider(text)
  if (provider === POSTGRESQL) return
  const file = absolute(context, PRISMA_LOCK_FILE)
  const line = text.split(/\r?\n/).findIndex((l) => l.startsWith('provider')) + 1
  diagnostics.push({
    severity: 'error',
    code: 'PROVIDER_MISMATCH',
    message:
      provider === undefined
        ? `${PRISMA_LOCK_FILE} names no provider, so Prisma refuses to apply these migrations to PostgreSQL (P3019: the provider "does not match the one specified in the migration_lock.toml")`
        : `${PRISMA_LOCK_FILE} says provider = "${provider}": these migrations were written for ${provider}, and Prisma refuses to apply them to PostgreSQL (P3019)`,
    file,
    ...(line > 0 ? { line } : {}),
    fix:
      provider === undefined
        ? `restore the line \`provider = "postgresql"\` in ${PRISMA_LOCK_FILE} (prisma migrate dev writes it)`
        : 'point `migrations` at the PostgreSQL migration history, or start one for PostgreSQL with `prisma migrate dev` (Prisma cannot switch providers within one history)',
  })
}

async function loadFolder(
  context: FormatContext,
  folder: string,
  diagnostics: Diagnostic[],
): Promise<Omit<Migration, 'index'> | null> {
  const relativePath = `${folder}/${PRISMA_MIGRATION_FILE}`
  const inside = context.entries.filter((e) => e.startsWith(`${folder}/`))
  for (const other of inside) {
    if (other === relativePath || COMPANION_FILES.has(other.slice(folder.length + 1))) continue
    const sql = /\.sql$/i.test(other)
    diagnostics.push({
      severity: sql ? 'error' : 'warning',
      code: 'STRAY_FILE',
      message: sql
        ? `${other} is never applied: Prisma runs only ${relativePath} in that folder`
        : `${other} is not part of a Prisma migration; Prisma ignores it`,
      file: absolute(context, other),
      fix: sql
        ? `move its SQL into ${relativePath} before any database has applied it, or into a new migration (\`prisma migrate dev --create-only\`)`
        : 'move it out of the migrations folder',
    })
  }
  if (!inside.includes(relativePath)) {
    diagnostics.push({
      severity: 'error',
      code: 'UP_FILE_MISSING',
      message: `folder ${folder} has no ${PRISMA_MIGRATION_FILE}: \`prisma migrate deploy\` stops at it ("Failed to read migration script")`,
      file: absolute(context, folder),
      fix: `restore ${relativePath} (e.g. from git), or delete the folder if it is not a migration`,
    })
    return null
  }
  const raw = await readEntry(context, relativePath, diagnostics)
  if (raw === null) return null
  const file = absolute(context, relativePath)
  if (raw.startsWith('\uFEFF')) {
    diagnostics.push(
      bomDiagnostic(
        file,
        relativePath,
        'Prisma sends the file as it is, and PostgreSQL rejects the mark as a syntax error',
      ),
    )
    return null
  }
  if (folder.length > MAX_NAME_LENGTH) {
    diagnostics.push({
      severity: 'error',
      code: 'BAD_FILENAME',
      message: `folder name ${folder.slice(0, 40)}… is ${folder.length} characters long: _prisma_migrations.migration_name holds at most ${MAX_NAME_LENGTH}, so Prisma fails to record it`,
      file,
      fix: 'give the migration a shorter name (rename the folder before any database has applied it)',
    })
    return null
  }
  return {
    format: 'prisma',
    version: folder,
    description: folder.replace(/^\d+_/, ''),
    files: [file],
    // Prisma sends the whole file in one simple-protocol query and adds no BEGIN: PostgreSQL runs
    // the multi-statement string as one implicit transaction.
    up: {
      file,
      line: 1,
      statements: [{ sql: raw, line: 1, endLine: lastLine(raw) }],
      transaction: false,
    },
    down: null,
    record: { format: 'prisma', name: folder, checksum: prismaChecksum(raw) },
  }
}

/**
 * Prisma Migrate (`prisma migrate deploy`): one folder per migration, `<timestamp>_<name>/
 * migration.sql`, applied in folder-name order (`localeCompare`, as the Prisma CLI sorts them),
 * next to `migration_lock.toml`, whose provider must be `postgresql`. Each file is sent whole as
 * one query, with no transaction of Prisma's own; there are no Down migrations. The applier
 * records Prisma's `_prisma_migrations` row: a random UUID, the SHA-256 checksum of the file,
 * `started_at`, `finished_at` and `applied_steps_count` 1.
 *
 * Where Prisma would stop late or skip silently (a folder without `migration.sql`, a folder that
 * is a symbolic link, other `.sql` files in a migration folder or at the top level), this module
 * reports it up front.
 *
 * @example
 * const { migrations } = await prismaFormat.load(context)
 * migrations[0]?.record // { format: 'prisma', name: '20240101120000_init', checksum: '…' }
 */
export const prismaFormat: FormatModule = {
  format: 'prisma',
  defaultVersionTable: { schema: 'public', table: '_prisma_migrations' },

  async detect(context) {
    if (context.entries.includes(PRISMA_LOCK_FILE)) {
      return { score: 3, evidence: [PRISMA_LOCK_FILE] }
    }
    const folders = context.entries.filter((e) => /^[^/]+\/migration\.sql$/.test(e))
    return { score: folders.length > 0 ? 2 : 0, evidence: folders }
  },

  async load(context): Promise<FormatLoadResult> {
    const diagnostics: Diagnostic[] = []
    const files: string[] = []
    if (context.entries.includes(PRISMA_LOCK_FILE)) {
      const lock = await readEntry(context, PRISMA_LOCK_FILE, diagnostics)
      if (lock !== null) checkLock(context, diagnostics, lock)
      files.push(absolute(context, PRISMA_LOCK_FILE))
    }
    const { folders, links } = listFolders(context)
    for (const link of links) {
      diagnostics.push({
        severity: 'error',
        code: 'STRAY_FILE',
        message: `${link} is a symbolic link to a folder: the Prisma CLI lists only real folders, so it silently never applies this migration`,
        file: absolute(context, link),
        fix: `replace the link with a copy of the folder, or point \`migrations\` at the folder it links to`,
      })
    }
    for (const stray of context.entries.filter(isTopLevel)) {
      if (stray === PRISMA_LOCK_FILE || !/\.sql$/i.test(stray)) continue
      diagnostics.push({
        severity: 'error',
        code: 'STRAY_FILE',
        message: `${stray} is never applied: Prisma runs only <folder>/${PRISMA_MIGRATION_FILE}`,
        file: absolute(context, stray),
        fix: `create a migration with \`prisma migrate dev --create-only --name <name>\` and move this SQL into its ${PRISMA_MIGRATION_FILE}, or move the file out of the migrations folder`,
      })
    }
    const migrations = await loadAll(
      folders,
      (folder, own) => loadFolder(context, folder, own),
      diagnostics,
    )
    files.push(...migrations.map((m) => m.up.file))
    return { migrations, files, diagnostics }
  },
}
