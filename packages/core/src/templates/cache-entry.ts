import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { TEMPLATE_SCHEMA_VERSION } from './fingerprint.js'

/**
 * Entries of the template cache folder (`templateCache`): one file per template,
 * `<folder>/pgtestbed-template-<fingerprint>.sql`. Its first line is a header, the rest the
 * template's contents as SQL (`pg_dump --format=plain --inserts`):
 *
 * ```
 * -- pgtestbed template cache {"v":1,"fingerprint":"ab12…","serverMajor":15,…,"sha256":"…","bytes":2255268}
 * SET statement_timeout = 0;
 * …
 * ```
 *
 * The header names the fingerprint (which already covers the server's major version), the server
 * it was dumped from and the SHA-256 and length of the body, so a truncated, edited or foreign
 * file is recognised and never restored. Files are written to a temporary name in the same folder
 * and renamed: a reader sees a whole entry or none, and shards writing the same key at once each
 * rename a complete file over the other.
 * @module
 */

const HEADER_PREFIX = '-- pgtestbed template cache '

/** What the first line of an entry says. */
export interface CacheHeader {
  v: 1
  /** The template's full fingerprint (the file name carries it too). */
  fingerprint: string
  /** pgtestbed's template schema version when it was written. */
  templateSchemaVersion: number
  /** `server_version_num / 10000` of the server it was dumped from. */
  serverMajor: number
  /** `server_version` of that server, for messages. */
  serverVersion: string
  /** `pg_dump --version` of the dump. */
  dumpedWith: string
  createdAt: string
  /** SHA-256 (hex) and byte length of the body (everything after the header line). */
  sha256: string
  bytes: number
}

/** The file of the entry for `fingerprint` in `dir`. */
export function cacheEntryPath(dir: string, fingerprint: string): string {
  return path.join(dir, `pgtestbed-template-${fingerprint}.sql`)
}

/** A checked entry, or why there is none to use. */
export type CacheLookup =
  | { found: true; file: string; header: CacheHeader; sql: string }
  | { found: false; file: string; why?: string }

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function parseHeader(line: string): CacheHeader | undefined {
  if (!line.startsWith(HEADER_PREFIX)) return undefined
  try {
    const value = JSON.parse(line.slice(HEADER_PREFIX.length)) as Partial<CacheHeader>
    const ok =
      value.v === 1 &&
      typeof value.fingerprint === 'string' &&
      typeof value.templateSchemaVersion === 'number' &&
      typeof value.serverMajor === 'number' &&
      typeof value.sha256 === 'string' &&
      typeof value.bytes === 'number'
    return ok ? (value as CacheHeader) : undefined
  } catch {
    return undefined
  }
}

/**
 * Reads and checks the entry for `fingerprint`: `found: false` without `why` when there is none,
 * with `why` when the file is there but must not be used (unreadable, not an entry, truncated or
 * edited, another fingerprint, another server major or template schema version). Without
 * `serverMajor` the major is not checked (the fingerprint covers it already).
 *
 * @example
 * const entry = await readCacheEntry('.pgtestbed-cache', fingerprint.hash, 15)
 * if (entry.found) await client.query(entry.sql)
 */
export async function readCacheEntry(
  dir: string,
  fingerprint: string,
  serverMajor?: number,
): Promise<CacheLookup> {
  const file = cacheEntryPath(dir, fingerprint)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { found: false, file }
    return { found: false, file, why: `it cannot be read (${(error as Error).message})` }
  }
  const newline = text.indexOf('\n')
  const header = parseHeader(newline < 0 ? text : text.slice(0, newline))
  if (!header) return { found: false, file, why: 'its first line is not a pgtestbed cache header' }
  const body = text.slice(newline + 1)
  if (header.fingerprint !== fingerprint) {
    return { found: false, file, why: `it holds fingerprint ${header.fingerprint.slice(0, 12)}…` }
  }
  if (header.templateSchemaVersion !== TEMPLATE_SCHEMA_VERSION) {
    return {
      found: false,
      file,
      why: `it was written for template schema version ${header.templateSchemaVersion}, this pgtestbed uses ${TEMPLATE_SCHEMA_VERSION}`,
    }
  }
  if (serverMajor !== undefined && header.serverMajor !== serverMajor) {
    return {
      found: false,
      file,
      why: `it was dumped from PostgreSQL ${header.serverMajor}, this server is PostgreSQL ${serverMajor}`,
    }
  }
  if (Buffer.byteLength(body) !== header.bytes || sha256(body) !== header.sha256) {
    return {
      found: false,
      file,
      why: 'its contents do not match its checksum (truncated or edited)',
    }
  }
  return { found: true, file, header, sql: body }
}

/**
 * Writes the entry atomically: a temporary file in the same folder, renamed over the final name.
 * Creates the folder. Returns the file.
 */
export async function writeCacheEntry(
  dir: string,
  header: Omit<CacheHeader, 'v' | 'sha256' | 'bytes' | 'templateSchemaVersion' | 'createdAt'>,
  sql: string,
): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = cacheEntryPath(dir, header.fingerprint)
  const full: CacheHeader = {
    v: 1,
    ...header,
    templateSchemaVersion: TEMPLATE_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    sha256: sha256(sql),
    bytes: Buffer.byteLength(sql),
  }
  const temp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  )
  try {
    await writeFile(temp, `${HEADER_PREFIX}${JSON.stringify(full)}\n${sql}`)
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {})
    throw error
  }
  return file
}
