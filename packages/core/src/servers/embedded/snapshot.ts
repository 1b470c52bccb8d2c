/**
 * Cluster snapshots of the embedded server, kept in the template cache folder (`templateCache`).
 *
 * Restoring a template from SQL replays its whole schema's DDL, which costs about as much as
 * applying the migrations. The embedded server is pgtestbed's own cluster, so it can do better: a
 * copy of its data folder, taken online with PostgreSQL's backup functions, seeds the data folder
 * of a server that has none yet (a fresh CI machine) instead of initdb, and every template in it
 * is there when the server comes up. Copying files takes a fraction of a build.
 *
 * - Layout: `<templateCache>/embedded-<version>-<platform>-<arch>/` holds `data/` (the copy,
 *   with its `backup_label`) and `snapshot.json` (the templates it holds and the databases left
 *   out). A snapshot only seeds binaries of the same version, platform and architecture.
 * - Saving: `pg_backup_start`, a copy of the data folder, `pg_backup_stop`, then the WAL the
 *   copy needs (a temporary replication slot keeps it until copied). The databases the caller
 *   names are left out (their folders are not copied; `testbed/snapshot.ts` names pgtestbed's
 *   clones, pool databases, builds and kept databases), and a restore drops every database the
 *   copy does not hold whole.
 * - Seeding: the copy goes into a sibling folder renamed into place once complete; PostgreSQL
 *   replays the WAL on start (crash recovery from the backup label). A snapshot the server does
 *   not start from is reported and replaced by initdb (see `server.ts`).
 * @module
 */
import { randomBytes } from 'node:crypto'
import { existsSync, type Dirent } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { connectPg } from '../../internal/pg-connect.js'
import { isProcessAlive } from '../../internal/process-info.js'
import { quoteIdent } from '../../internal/quote-ident.js'
import { removeUnfinished } from './process.js'
import type { OsUser } from './user.js'

/** What `snapshot.json` records. */
export interface SnapshotManifest {
  v: 1
  /** The embedded binaries' version (`EmbeddedBinaries.version`), e.g. `'18.4'`. */
  postgres: string
  platform: string
  arch: string
  /** Sealed templates in the copy. */
  templates: string[]
  /** Every database the copy holds whole; a restore drops any other entry. */
  databases: string[]
  /** Databases the copy leaves out (their folders are not copied). */
  excluded: string[]
  savedAt: string
}

/** The snapshot folder for binaries of `version` on this platform, inside `templateCache`. */
export function snapshotDirFor(templateCache: string, version: string): string {
  return path.join(templateCache, `embedded-${version}-${process.platform}-${process.arch}`)
}

/** The snapshot for `version`, or `undefined` when there is none or it is not for this machine. */
export async function readSnapshot(
  templateCache: string,
  version: string,
): Promise<{ dir: string; manifest: SnapshotManifest } | undefined> {
  const dir = snapshotDirFor(templateCache, version)
  let manifest: SnapshotManifest
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, 'snapshot.json'), 'utf8'))
  } catch {
    return undefined
  }
  const sound =
    manifest.v === 1 &&
    manifest.postgres === version &&
    manifest.platform === process.platform &&
    manifest.arch === process.arch &&
    Array.isArray(manifest.templates) &&
    Array.isArray(manifest.databases) &&
    Array.isArray(manifest.excluded) &&
    existsSync(path.join(dir, 'data', 'PG_VERSION')) &&
    existsSync(path.join(dir, 'data', 'backup_label'))
  return sound ? { dir, manifest } : undefined
}

/** Folders whose contents a copy of a running cluster leaves out (PostgreSQL recreates them). */
const EMPTIED = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_stat_tmp',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
])
/** Top-level files that describe the running server, not the data. */
const SKIPPED = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'current_logfiles',
])

/** Files copied at once: the copies run on libuv's thread pool, a few thousand small files. */
const COPY_CONCURRENCY = 32

/**
 * Copies the folder `from` into `to` (created, 0700), skipping what `skip` names (paths relative
 * to `from`), handing every copy to `owner` when given. With `live` (a running server's data
 * folder), files and folders that vanish mid-copy are skipped: the server deletes files (dropped
 * relations and databases), and the WAL replay after a restore recreates whatever the copy needs.
 * Returns the bytes copied.
 */
async function copyTree(
  from: string,
  to: string,
  options: { skip?: (relative: string) => boolean; owner?: OsUser; live?: boolean } = {},
): Promise<number> {
  const files: string[] = []
  const folders: string[] = []
  const gone = (error: unknown) => {
    if (!options.live || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  // Folders one by one (a cluster has a few dozen), files in parallel.
  const walk = async (relative: string): Promise<void> => {
    folders.push(relative)
    let entries: Dirent[] = []
    try {
      entries = await fs.readdir(path.join(from, relative), { withFileTypes: true })
    } catch (error) {
      gone(error)
    }
    for (const entry of entries) {
      const child = path.join(relative, entry.name)
      if (options.skip?.(child)) continue
      if (entry.isDirectory()) await walk(child)
      else if (entry.isFile()) files.push(child)
    }
  }
  await walk('')
  const own = async (target: string) => {
    if (options.owner) await fs.lchown(target, options.owner.uid, options.owner.gid)
  }
  for (const folder of folders) {
    await fs.mkdir(path.join(to, folder), { mode: 0o700 })
    await own(path.join(to, folder))
  }
  let bytes = 0
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!
      const target = path.join(to, file)
      try {
        await fs.copyFile(path.join(from, file), target)
        const { size } = await fs.stat(target)
        bytes += size
        await own(target)
      } catch (error) {
        gone(error)
      }
    }
  }
  await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker))
  return bytes
}

/**
 * Puts the complete snapshot `temporary` in place of `final`. The old one is renamed aside first
 * and removed after, so a reader finds a whole snapshot or none; when another process puts its
 * own in place meanwhile, this one tries again (the last complete one wins).
 */
async function publish(temporary: string, final: string, suffix: string): Promise<void> {
  const old = `${final}.old-${suffix}`
  for (let attempt = 1; ; attempt++) {
    await fs.rename(final, old).catch(() => {})
    try {
      await fs.rename(temporary, final)
      break
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (attempt === 3 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw error
    }
  }
  await fs.rm(old, { recursive: true, force: true })
}

/** Removes what saves of `final` by processes that are gone left behind (`.tmp-` and `.old-`). */
async function removeAbandoned(final: string): Promise<void> {
  const parent = path.dirname(final)
  const pattern = new RegExp(`^${path.basename(final).replace(/\./g, '\\.')}\\.(?:tmp|old)-(\\d+)-`)
  for (const name of await fs.readdir(parent)) {
    const pid = pattern.exec(name)?.[1]
    if (pid !== undefined && !isProcessAlive(Number(pid))) {
      await fs.rm(path.join(parent, name), { recursive: true, force: true })
    }
  }
}

/** A saved snapshot: its folder, what it holds, its size in bytes. */
export interface SavedSnapshot {
  dir: string
  manifest: SnapshotManifest
  bytes: number
}

/** Options of {@link saveSnapshot}. */
export interface SaveSnapshotOptions {
  /** Admin URL of the running embedded server. */
  adminUrl: string
  /** Its data folder. */
  dataDir: string
  /** Its binaries' version. */
  version: string
  templateCache: string
  /** The sealed templates it holds (recorded in the manifest). */
  templates: readonly string[]
  /** Databases to leave out (clones and the like): a restore drops their entries. */
  exclude: readonly string[]
}

/**
 * Saves a snapshot of the running embedded server into the template cache folder, replacing the
 * one there. Returns the snapshot folder, what it holds and its size.
 *
 * @throws the server's error when it cannot take an online backup (`wal_level = minimal`,
 *   `max_replication_slots = 0`), or a file system error.
 */
export async function saveSnapshot(options: SaveSnapshotOptions): Promise<SavedSnapshot> {
  const final = snapshotDirFor(options.templateCache, options.version)
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const temporary = `${final}.tmp-${suffix}`
  await fs.mkdir(temporary, { recursive: true })
  await removeAbandoned(final)
  const client = await connectPg(options.adminUrl)
  try {
    const { rows } = await client.query<{ oid: string; datname: string }>(
      'SELECT oid::text, datname FROM pg_database',
    )
    const excluded = rows.filter((row) => options.exclude.includes(row.datname))
    const excludedOids = new Set(excluded.map((row) => row.oid))
    const databases = rows
      .map((row) => row.datname)
      .filter((name) => !options.exclude.includes(name))
    // The slot keeps every WAL file from the backup's start until this session ends.
    await client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [
      `pgtestbed_snapshot_${suffix.replace('-', '_')}`,
    ])
    await client.query('SELECT pg_backup_start($1, true)', ['pgtestbed template cache'])
    const data = path.join(temporary, 'data')
    let bytes: number
    let stop: { stop_file: string; labelfile: string; spcmapfile: string | null }
    try {
      bytes = await copyTree(options.dataDir, data, {
        live: true,
        skip: (relative) => {
          const parts = relative.split(path.sep)
          if (parts.length === 1) return SKIPPED.has(relative)
          if (parts.length === 2 && EMPTIED.has(parts[0]!)) return true
          if (parts.length === 2 && parts[0] === 'base') return excludedOids.has(parts[1]!)
          return parts.at(-1)!.startsWith('pgsql_tmp')
        },
      })
    } finally {
      // Always ends the backup, so a failed copy leaves the server as it was.
      stop = (
        await client.query<{ stop_file: string; labelfile: string; spcmapfile: string | null }>(
          'SELECT pg_walfile_name(lsn) AS stop_file, labelfile, spcmapfile FROM pg_backup_stop(false)',
        )
      ).rows[0]!
    }
    await fs.writeFile(path.join(data, 'backup_label'), stop.labelfile)
    if (stop.spcmapfile) await fs.writeFile(path.join(data, 'tablespace_map'), stop.spcmapfile)
    const start = /\(file ([0-9A-F]{24})\)/.exec(stop.labelfile)?.[1]
    if (start === undefined) throw new Error(`unexpected backup label: ${stop.labelfile}`)
    // The WAL from the backup's start to its end (later files are recycled, unused ones).
    const wal = path.join(options.dataDir, 'pg_wal')
    for (const name of await fs.readdir(wal)) {
      if (/^[0-9A-F]{24}$/.test(name) && name >= start && name <= stop.stop_file) {
        await fs.copyFile(path.join(wal, name), path.join(data, 'pg_wal', name))
        const { size } = await fs.stat(path.join(wal, name))
        bytes += size
      }
    }
    await fs.mkdir(path.join(data, 'pg_wal', 'archive_status'), { recursive: true })
    const manifest: SnapshotManifest = {
      v: 1,
      postgres: options.version,
      platform: process.platform,
      arch: process.arch,
      templates: [...options.templates].sort(),
      databases: databases.sort(),
      excluded: excluded.map((row) => row.datname).sort(),
      savedAt: new Date().toISOString(),
    }
    await fs.writeFile(path.join(temporary, 'snapshot.json'), `${JSON.stringify(manifest)}\n`)
    await publish(temporary, final, suffix)
    return { dir: final, manifest, bytes }
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true })
    throw error
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Fills the (missing or empty) data folder `dataDir` from the snapshot in `snapshotDir`: copied
 * into a sibling folder, handed to `user`, renamed into place. Call under the server lock.
 */
export async function seedDataDir(
  snapshotDir: string,
  dataDir: string,
  user: OsUser | undefined,
): Promise<void> {
  await removeUnfinished(dataDir, 'seed')
  const temporary = `${dataDir}.seed-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await copyTree(path.join(snapshotDir, 'data'), temporary, user ? { owner: user } : {})
    await fs.rm(dataDir, { recursive: true, force: true })
    await fs.rename(temporary, dataDir)
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true })
    throw error
  }
}

/**
 * Once a seeded server runs, drops every database the snapshot does not hold whole: those it left
 * out (their folders were not copied) and any created while the copy was made. Runs under the
 * server lock, before any other process can use the new server.
 */
export async function dropUnsaved(adminUrl: string, manifest: SnapshotManifest): Promise<void> {
  const client = await connectPg(adminUrl)
  try {
    const { rows } = await client.query<{
      datname: string
      datistemplate: boolean
      invalid: boolean
    }>(
      `SELECT datname, datistemplate, datconnlimit = -2 AS invalid FROM pg_database
        WHERE NOT (datname = ANY ($1::text[]))`,
      [manifest.databases],
    )
    for (const row of rows) {
      const name = quoteIdent(row.datname)
      // An invalid database (a drop cut short) must not be altered: PostgreSQL answers FATAL.
      if (row.datistemplate && !row.invalid) {
        await client.query(`ALTER DATABASE ${name} IS_TEMPLATE false`)
      }
      await client.query(`DROP DATABASE ${name} WITH (FORCE)`)
    }
  } finally {
    await client.end().catch(() => {})
  }
}
