import type { Diagnostic } from '../../../diagnostics.js'
import type { Migration } from '../../types.js'
import type { FormatContext, FormatLoadResult } from './types.js'
import { toMigration, topLevelFolders } from './drizzle-common.js'
import { absolute, readEntry } from './file-names.js'

/** The file drizzle v1 runs in each migration folder. */
export const V1_MIGRATION_FILE = 'migration.sql'

const V1_FOLDER = /^(\d{14})_(.+)$/

/**
 * The folder's timestamp in ms (drizzle v1 reads the first 14 characters as a UTC
 * `YYYYMMDDhhmmss`), or `undefined` when the name is not `<YYYYMMDDhhmmss>_<name>` with a real
 * date. drizzle itself would roll an impossible date over (month 13 → next January) or get NaN.
 *
 * @example
 * v1FolderMillis('20250102030405_init') // Date.UTC(2025, 0, 2, 3, 4, 5)
 */
export function v1FolderMillis(folder: string): number | undefined {
  const digits = V1_FOLDER.exec(folder)?.[1]
  if (digits === undefined) return undefined
  const part = (from: number, to: number) => Number(digits.slice(from, to))
  const millis = Date.UTC(
    part(0, 4),
    part(4, 6) - 1,
    part(6, 8),
    part(8, 10),
    part(10, 12),
    part(12, 14),
  )
  return formatV1Timestamp(millis) === digits ? millis : undefined
}

/** Formats ms since 1970 as drizzle v1's UTC `YYYYMMDDhhmmss` folder prefix. */
export function formatV1Timestamp(millis: number): string {
  return new Date(millis).toISOString().replace(/\D/g, '').slice(0, 14)
}

/** True when a top-level folder is (or is clearly meant to be) a drizzle v1 migration folder. */
export function looksLikeV1Folder(context: FormatContext, folder: string): boolean {
  return /^\d{14}/.test(folder) || context.entries.includes(`${folder}/${V1_MIGRATION_FILE}`)
}

/**
 * Loads drizzle v1's layout: one `<YYYYMMDDhhmmss>_<name>/migration.sql` per migration, sorted by
 * folder name. What drizzle skips silently (a folder without `migration.sql`, any other `.sql`
 * file) is reported.
 */
export async function loadFolderLayout(context: FormatContext): Promise<FormatLoadResult> {
  const diagnostics: Diagnostic[] = []
  const candidates: { folder: string; millis: number }[] = []

  for (const folder of topLevelFolders(context.entries)) {
    const inside = context.entries.filter((e) => e.startsWith(`${folder}/`))
    const migrationPath = `${folder}/${V1_MIGRATION_FILE}`
    const hasMigration = inside.includes(migrationPath)
    const otherSql = inside.filter((e) => e.endsWith('.sql') && e !== migrationPath)
    const millis = v1FolderMillis(folder)

    if (hasMigration && millis !== undefined) {
      candidates.push({ folder, millis })
    } else if (hasMigration) {
      diagnostics.push({
        severity: 'error',
        code: 'BAD_FILENAME',
        message: `folder ${folder} is not named <YYYYMMDDhhmmss>_<name> with a real UTC date, so drizzle cannot read its timestamp`,
        file: absolute(context, migrationPath),
        fix: `rename the folder to <UTC timestamp>_<name>, e.g. ${formatV1Timestamp(Date.now())}_${folder.replace(/^[\d\-_:.T ]*/, '') || 'migration'}, as \`drizzle-kit generate\` names them`,
      })
    } else if (looksLikeV1Folder(context, folder) || otherSql.length > 0) {
      diagnostics.push({
        severity: 'error',
        code: 'UP_FILE_MISSING',
        message: `folder ${folder} has no ${V1_MIGRATION_FILE}, so drizzle silently skips it`,
        file: absolute(context, folder),
        fix:
          otherSql.length > 0
            ? `rename ${otherSql[0]} to ${migrationPath}`
            : `add ${migrationPath} (e.g. restore it from git), or delete the folder`,
      })
      continue
    } else {
      diagnostics.push({
        severity: 'warning',
        code: 'STRAY_FILE',
        message: `folder ${folder} is not a migration folder (no ${V1_MIGRATION_FILE}); drizzle ignores it`,
        file: absolute(context, folder),
        fix: 'move it out of the migrations folder',
      })
      continue
    }
    for (const stray of otherSql) {
      diagnostics.push({
        severity: 'error',
        code: 'STRAY_FILE',
        message: `${stray} is never applied: drizzle runs only ${migrationPath} in that folder`,
        file: absolute(context, stray),
        fix: `move its SQL into ${migrationPath}, or create a new migration with \`drizzle-kit generate --custom\``,
      })
    }
  }

  for (const stray of context.entries.filter((e) => !e.includes('/') && e.endsWith('.sql'))) {
    diagnostics.push({
      severity: 'error',
      code: 'STRAY_FILE',
      message: `${stray} is never applied: drizzle v1 runs only <folder>/${V1_MIGRATION_FILE}`,
      file: absolute(context, stray),
      fix: `create a migration with \`drizzle-kit generate --custom --name=<name>\` and move this SQL into its ${V1_MIGRATION_FILE}, or move the file out of the migrations folder`,
    })
  }

  // drizzle sorts with localeCompare; doing the same keeps the apply order identical.
  candidates.sort((a, b) => a.folder.localeCompare(b.folder))
  const byMillis = new Map<number, string>()
  for (const { folder, millis } of candidates) {
    const other = byMillis.get(millis)
    if (other === undefined) {
      byMillis.set(millis, folder)
      continue
    }
    diagnostics.push({
      severity: 'warning',
      code: 'DUPLICATE_VERSION',
      message: `folders ${other} and ${folder} share the timestamp ${folder.slice(0, 14)}; their order depends on the names, and drizzle's upgrade of an old migrations table has to guess between them by hash`,
      file: absolute(context, `${folder}/${V1_MIGRATION_FILE}`),
      related: [{ file: absolute(context, `${other}/${V1_MIGRATION_FILE}`) }],
      fix: `rename ${folder} with a later timestamp (e.g. ${formatV1Timestamp(millis + 1000)}${folder.slice(14)})`,
    })
  }

  const migrations: Migration[] = []
  for (const { folder, millis } of candidates) {
    const relativePath = `${folder}/${V1_MIGRATION_FILE}`
    const text = await readEntry(context, relativePath, diagnostics)
    if (text === null) continue
    migrations.push(
      toMigration(context, {
        index: migrations.length,
        version: folder,
        relativePath,
        text,
        createdAt: millis,
        name: folder,
      }),
    )
  }
  return { migrations, files: migrations.map((m) => m.up.file), diagnostics, layout: 'folders' }
}
