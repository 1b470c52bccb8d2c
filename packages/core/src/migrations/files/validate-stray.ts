import path from 'node:path'
import type { Diagnostic } from '../../diagnostics.js'
import { folderGlobs } from '../../internal/folder-globs.js'
import { DEFAULT_MANIFEST_FILE } from '../types.js'
import { isTopLevel, nextVersion, proposeName } from './formats/file-names.js'
import type { MigrationFormat, MigrationSet } from '../types.js'
import { plural } from '../../internal/plural.js'

/** Files that never count as strays: pgtestbed's manifest, folder placeholders, OS litter. */
export const IGNORED_FILES: ReadonlySet<string> = new Set([
  DEFAULT_MANIFEST_FILE,
  '.gitkeep',
  '.keep',
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
])

/** A name that looks like SQL: `.sql` in any case, `.psql`/`.pgsql`, or a copy like `x.sql.bak`. */
const SQL_LIKE = /\.(sql|psql|pgsql)$|\.sql\.[^.]+$/i

const SKIPS: Record<MigrationFormat, string> = {
  goose:
    'goose only reads files that end in lower-case `.sql`, so it silently skips this one and never applies it',
  'golang-migrate':
    'golang-migrate silently ignores files not named `{version}_{title}.up.{ext}` or `.down.{ext}`, so it is never applied',
  dbmate:
    'dbmate only reads files whose name starts with digits and ends in `.sql`, so it silently skips this one and never applies it',
  drizzle:
    'drizzle-kit only applies the `.sql` files its journal lists, so it never applies this one',
  prisma: 'Prisma runs only `<folder>/migration.sql`, so it never applies this one',
  'node-pg-migrate': 'node-pg-migrate reads only the top level of the migrations folder',
}

function fixFor(set: MigrationSet, base: string): string {
  const backup = /\.sql\.[^.]+$/i.test(base)
  if (backup) {
    return `delete it or move it out of the migrations folder (a copy next to the migrations looks applied but never is)`
  }
  if (base.startsWith('._')) return 'delete it: it is a macOS metadata file, not a migration'
  const versions = set.migrations.flatMap((m) => (m.versionNumber ? [m.versionNumber] : []))
  const width = /^\d+/.exec(set.migrations[0] ? path.basename(set.migrations[0].up.file) : '')?.[0]
  const proposal = proposeName(base, set.format, nextVersion(versions, width?.length ?? 1))
  const move = 'move it out of the migrations folder (seeds and test data belong elsewhere)'
  return proposal && set.format !== 'drizzle' && set.format !== 'prisma'
    ? `rename it to ${proposal} if it is a migration, or ${move}`
    : move
}

/**
 * STRAY_FILE: files in the migrations folder that are not migrations. An error for SQL-looking
 * files the tool would skip (so they look applied but never are); a warning for other files
 * (README.md...) and, for tools that read only the top level, for SQL files in sub-folders.
 * Files a format module already reported (a bad name, an unlisted drizzle file) are left alone,
 * and the `..data/` and `..<timestamp>/` copies of a Kubernetes ConfigMap volume never get here
 * (discovery drops exactly that shape, see `atomicWriterEntries`).
 *
 * @example
 * checkStrayFiles(set, ['001_init.sql', 'seed.SQL', 'README.md'])
 * // [{ code: 'STRAY_FILE', severity: 'error', file: '/…/seed.SQL', ... }, { ..., severity: 'warning', file: '/…/README.md' }]
 */
export function checkStrayFiles(
  set: MigrationSet,
  entries: readonly string[],
  ignore: readonly string[] = [],
): Diagnostic[] {
  const ignored = folderGlobs(ignore)
  const known = new Set(set.files)
  for (const d of set.diagnostics) {
    if (d.file) known.add(d.file)
    for (const r of d.related ?? []) known.add(r.file)
  }
  const out: Diagnostic[] = []
  const subFolders = new Map<string, string[]>()
  for (const entry of entries) {
    const file = path.join(set.dir, entry)
    const base = path.posix.basename(entry)
    if (known.has(file) || IGNORED_FILES.has(base) || ignored(entry)) continue
    if (!isTopLevel(entry)) {
      // drizzle v1 and Prisma keep their migrations in sub-folders and report those files themselves.
      if (set.format !== 'drizzle' && set.format !== 'prisma' && SQL_LIKE.test(base)) {
        const folder = entry.slice(0, entry.indexOf('/'))
        subFolders.set(folder, [...(subFolders.get(folder) ?? []), entry])
      }
      continue
    }
    // goose keeps Go helpers (main.go, register.go) next to Go migrations; it skips them by design.
    if (set.format === 'goose' && base.endsWith('.go')) continue
    if (SQL_LIKE.test(base)) {
      out.push({
        severity: 'error',
        code: 'STRAY_FILE',
        message: `${entry} is not a migration ${set.format} can read: ${SKIPS[set.format]}`,
        file,
        fix: fixFor(set, base),
      })
    } else {
      out.push({
        severity: 'warning',
        code: 'STRAY_FILE',
        message: `${entry} is not a migration; the migrations folder should hold only migration files`,
        file,
        fix: `move it out of the migrations folder, or list it in the \`ignore\` option (ignore: ['${entry}']) if it belongs there`,
      })
    }
  }
  for (const [folder, files] of subFolders) {
    out.push({
      severity: 'warning',
      code: 'STRAY_FILE',
      message: `${folder}/ holds ${plural(files.length, 'SQL file')} (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}) that ${set.format} never applies: it reads only the top level of the migrations folder`,
      file: path.join(set.dir, files[0] ?? folder),
      fix: `if ${folder}/ holds migrations meant to run, move them to the top level; if it is an archive, seeds or test data, list it in the \`ignore\` option (ignore: ['${folder}'])`,
    })
  }
  return out
}
