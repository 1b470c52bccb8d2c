import path from 'node:path'
import { formatV1Timestamp } from './formats/drizzle-folders.js'
import type { Migration, MigrationSet } from '../types.js'
import { relativeTo } from './manifest-hash.js'

/**
 * What the tool does with `newPath` on a database that already has `listedPath`, which sorts
 * after it: the reason a new migration must not be inserted before applied ones.
 */
export function insertConsequence(set: MigrationSet, newPath: string, listedPath: string): string {
  switch (set.format) {
    case 'goose':
      return `goose refuses to migrate a database that already has ${listedPath} ("missing migrations") unless run with -allow-missing`
    case 'golang-migrate':
      return `golang-migrate never applies ${newPath} to a database that already has ${listedPath}`
    case 'dbmate':
      return `dbmate applies ${newPath} out of order on a database that already has ${listedPath} (and refuses with --strict)`
    case 'prisma':
      return `prisma migrate deploy applies ${newPath} out of order on a database that already has ${listedPath}`
    case 'node-pg-migrate':
      return `node-pg-migrate refuses to migrate a database that already has ${listedPath} ("Not run migration … is preceding already run migration …") unless run with --no-check-order`
    case 'drizzle':
      return set.layout === 'folders'
        ? `drizzle applies ${newPath} out of order on a database that already has ${listedPath}`
        : `drizzle skips ${newPath} forever on a database that already has ${listedPath} unless its "when" is newer`
  }
}

/** How to move `migration` after every other one: the instruction and its new Up path. */
export function renumberSuggestion(
  set: MigrationSet,
  migration: Migration,
): { text: string; newPath: string } {
  const upPath = relativeTo(set.dir, migration.up.file)
  const others = set.migrations.filter((m) => m !== migration)
  if (set.format === 'drizzle') {
    const latest = Math.max(
      0,
      ...others.map((m) => (m.record.format === 'drizzle' ? m.record.createdAt : 0)),
    )
    if (set.layout === 'folders') {
      const folder = upPath.split('/')[0] ?? upPath
      const renamed = `${formatV1Timestamp(latest + 1000)}${folder.slice(14)}`
      return {
        text: `rename the folder ${folder} to ${renamed}`,
        newPath: `${renamed}/${path.posix.basename(upPath)}`,
      }
    }
    return {
      text: `move its entry to the end of meta/_journal.json with a "when" above ${latest} (e.g. ${latest + 1})`,
      newPath: upPath,
    }
  }
  let max = 0n
  for (const m of others)
    if (m.versionNumber !== undefined && m.versionNumber > max) max = m.versionNumber
  const renames = migration.files.map((file) => {
    const from = relativeTo(set.dir, file)
    const base = path.posix.basename(from)
    const width = /^\d+/.exec(base)?.[0].length ?? 0
    const to = path.posix.join(
      path.posix.dirname(from),
      base.replace(/^\d*/, (max + 1n).toString().padStart(width, '0')),
    )
    return { from, to }
  })
  return {
    text: `rename ${renames.map((r) => r.from).join(' and ')} to ${renames.map((r) => r.to).join(' and ')}`,
    newPath: renames[0]?.to ?? upPath,
  }
}

/** What may have changed when a migration's chain value no longer matches. */
export function editedParts(set: MigrationSet, migration: Migration): string {
  if (set.format === 'drizzle' && set.layout !== 'folders')
    return 'the file or its journal entry (tag, when)'
  if (migration.files.length > 1)
    return `one of its files (${migration.files.map((f) => path.basename(f)).join(', ')})`
  if (set.format === 'golang-migrate') return 'the file, or its .down file was added or removed'
  return 'its content'
}
