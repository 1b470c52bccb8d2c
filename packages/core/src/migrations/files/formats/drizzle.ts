import { displayPath } from '../../../diagnostics.js'
import type { FormatContext, FormatLoadResult, FormatModule } from './types.js'
import { JOURNAL_PATH, topLevelFolders } from './drizzle-common.js'
import { absolute } from './file-names.js'
import { V1_MIGRATION_FILE, loadFolderLayout, looksLikeV1Folder } from './drizzle-folders.js'
import { loadJournalLayout } from './drizzle-journal.js'

/** `meta/0000_snapshot.json`: drizzle-kit's schema snapshots, proof of a drizzle folder. */
const SNAPSHOT = /^meta\/[^/]*_snapshot\.json$/
/** `<folder>/snapshot.json`: drizzle-kit v1 writes one next to every `migration.sql`. */
const V1_SNAPSHOT = /^[^/]+\/snapshot\.json$/
/** `<folder>/migration.sql`: drizzle v1's layout, and Prisma Migrate's. */
const V1_MIGRATION = /^[^/]+\/migration\.sql$/

function v1Folders(context: FormatContext): string[] {
  return topLevelFolders(context.entries).filter(
    (folder) => folder !== 'meta' && looksLikeV1Folder(context, folder),
  )
}

/**
 * drizzle-kit migrations, both layouts:
 * - 0.x: `meta/_journal.json` + `<tag>.sql`, applied in journal order;
 * - v1: `<YYYYMMDDhhmmss>_<name>/migration.sql` folders, applied in folder-name order.
 *
 * Each file is split on `--> statement-breakpoint` exactly as drizzle-orm does (no trimming) and
 * runs in one transaction with no Down; the applier records drizzle's own
 * `drizzle.__drizzle_migrations` row (`hash` = SHA-256 hex of the file text, `created_at` = the
 * journal's `when` or the folder's timestamp, and for v1 `name` = the folder name).
 *
 * Where drizzle silently loses a migration (an unlisted `.sql` file, a `when` not above an
 * earlier entry's, a v1 folder without `migration.sql`), this module reports an error instead.
 *
 * @example
 * const score = await drizzleFormat.detect(context) // 2 for a folder with meta/_journal.json
 * const { migrations, diagnostics } = await drizzleFormat.load(context)
 */
export const drizzleFormat: FormatModule = {
  format: 'drizzle',
  defaultVersionTable: { schema: 'drizzle', table: '__drizzle_migrations' },

  async detect(context) {
    // The journal and the snapshots are drizzle-kit's own files; `<folder>/migration.sql` alone
    // is also Prisma Migrate's layout.
    const own = context.entries.filter(
      (entry) => entry === JOURNAL_PATH || SNAPSHOT.test(entry) || V1_SNAPSHOT.test(entry),
    )
    if (own.length > 0) return { score: 3, evidence: own }
    const folders = context.entries.filter((entry) => V1_MIGRATION.test(entry))
    return { score: folders.length > 0 ? 2 : 0, evidence: folders }
  },

  async load(context): Promise<FormatLoadResult> {
    const folders = v1Folders(context)
    if (context.entries.includes(JOURNAL_PATH)) {
      const result = await loadJournalLayout(context)
      if (folders.length > 0) {
        result.diagnostics.push({
          severity: 'error',
          code: 'JOURNAL_MIXED_LAYOUT',
          message:
            `${JOURNAL_PATH} (drizzle-kit 0.x layout) sits next to v1 migration folders (${folders.join(', ')}); ` +
            'drizzle 0.x never applies the folders and drizzle v1 refuses the journal',
          file: absolute(context, JOURNAL_PATH),
          related: folders.map((folder) => ({
            file: absolute(context, `${folder}/${V1_MIGRATION_FILE}`),
          })),
          fix: 'with drizzle-kit 1.x, run `drizzle-kit up` to convert the whole folder to the v1 layout; with drizzle-kit 0.x, move the v1 folders out',
        })
      }
      return result
    }
    if (folders.length > 0) return loadFolderLayout(context)

    const snapshots = context.entries.some((entry) => SNAPSHOT.test(entry))
    return {
      migrations: [],
      files: [],
      layout: 'journal',
      diagnostics: [
        {
          severity: 'error',
          code: 'JOURNAL_NOT_FOUND',
          message:
            `${displayPath(context.dir)} has no ${JOURNAL_PATH}` +
            (snapshots ? ' (meta/ holds drizzle-kit snapshots, but the journal is gone)' : '') +
            ` and no <YYYYMMDDhhmmss>_<name>/${V1_MIGRATION_FILE} folders, so drizzle finds no migrations`,
          fix: `restore ${JOURNAL_PATH} from git, or run \`drizzle-kit generate\` with \`out\` set to this folder; if another tool wrote these files, set \`format\` to it`,
        },
      ],
    }
  },
}
