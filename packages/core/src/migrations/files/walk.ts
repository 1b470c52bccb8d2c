import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs'
import path from 'node:path'

/**
 * Listing a migrations folder without trusting it: folders are walked once each (a symlink loop
 * such as `loop -> .` is not followed again), `node_modules` is skipped, and what cannot be a
 * migration is reported instead of read: FIFOs, devices and sockets, names holding a line break,
 * and folders named like a SQL file.
 * @module
 */

/** What {@link walkMigrationsFolder} found. */
export interface FolderListing {
  /** Regular files, symlinks to them, and dangling symlinks (reading those fails loudly): relative POSIX paths. */
  entries: string[]
  /** Entries that are not regular files (a FIFO, a device, a socket), with what they are. */
  special: Array<{ entry: string; kind: string }>
  /** Files or folders whose name holds LF or CR. */
  lineBreakNames: string[]
  /** Folders whose name ends like a SQL file (`00002_dir.sql/`). */
  sqlNamedFolders: string[]
}

const SQL_NAME = /\.(sql|psql|pgsql)$/i

function kindOf(stats: Stats): string | undefined {
  if (stats.isFile() || stats.isDirectory()) return undefined
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'not a regular file'
}

/**
 * Lists every entry below `dir` (dot files included).
 *
 * @example
 * const { entries, special } = walkMigrationsFolder('/repo/migrations')
 * @throws the file system's error when `dir` or a folder below it cannot be listed.
 */
export function walkMigrationsFolder(dir: string): FolderListing {
  const listing: FolderListing = {
    entries: [],
    special: [],
    lineBreakNames: [],
    sqlNamedFolders: [],
  }
  const seen = new Set<string>()
  const visit = (absolute: string, relative: string) => {
    const stats = statSync(absolute)
    const id = `${stats.dev}:${stats.ino}`
    if (seen.has(id)) return // a symlink loop, or a second link to a folder already listed
    seen.add(id)
    const children: Dirent[] = readdirSync(absolute, { withFileTypes: true })
    for (const child of children) {
      const rel = relative === '' ? child.name : `${relative}/${child.name}`
      const abs = path.join(absolute, child.name)
      if (/[\n\r]/.test(child.name)) {
        listing.lineBreakNames.push(rel)
        continue
      }
      let target: Stats | undefined
      if (child.isSymbolicLink()) {
        try {
          target = statSync(abs)
        } catch {
          listing.entries.push(rel) // dangling: reading it reports the problem
          continue
        }
      }
      const isDirectory = target ? target.isDirectory() : child.isDirectory()
      if (isDirectory) {
        if (child.name === 'node_modules') continue
        if (SQL_NAME.test(child.name)) listing.sqlNamedFolders.push(rel)
        visit(abs, rel)
        continue
      }
      const isFile = target ? target.isFile() : child.isFile()
      if (isFile) {
        listing.entries.push(rel)
        continue
      }
      const kind = kindOf(target ?? statSync(abs))
      listing.special.push({ entry: rel, kind: kind ?? 'not a regular file' })
    }
  }
  visit(dir, '')
  return listing
}
