import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Migration, MigrationSet } from '../types.js'

/** The version marker of every checksum in a `pgtestbed.sum` file. */
export const SUM_PREFIX = 'h1:'

/** The chain value before the first migration: 32 zero bytes. */
const SEED = Buffer.alloc(32)

/** A SHA-256 digest as written in the file: `h1:` + base64 (44 characters). */
function encodeSum(digest: Buffer): string {
  return SUM_PREFIX + digest.toString('base64')
}

/** The digest of an `h1:` checksum, or `undefined` when it is not one. */
export function decodeSum(sum: string): Buffer | undefined {
  if (!sum.startsWith(SUM_PREFIX)) return undefined
  const base64 = sum.slice(SUM_PREFIX.length)
  if (!/^[A-Za-z0-9+/]{43}=$/.test(base64)) return undefined
  return Buffer.from(base64, 'base64')
}

/** A path relative to the migrations folder, with `/` separators. */
export function relativeTo(dir: string, file: string): string {
  return path.relative(dir, file).split(path.sep).join('/')
}

/** Line endings normalised to LF at the byte level (no decoding, so any encoding survives). */
function normaliseCrlf(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')
}

/** What one manifest line hashes: every file of the migration, and drizzle's journal fields. */
export interface MigrationRecord {
  /** The Up file, relative: the manifest line's path. */
  path: string
  /** Every file of the migration (Up first), relative, with CRLF-normalised contents. */
  files: { path: string; bytes: Buffer }[]
  /** drizzle journal layout: the entry's `tag` and `when`, which decide what drizzle applies. */
  journal?: { tag: string; when: number }
}

/** Reads the files of `migration` into a {@link MigrationRecord}. */
export async function readRecord(
  set: MigrationSet,
  migration: Migration,
): Promise<MigrationRecord> {
  const files = await Promise.all(
    migration.files.map(async (file) => ({
      path: relativeTo(set.dir, file),
      bytes: normaliseCrlf(await readFile(file)),
    })),
  )
  const journal =
    set.format === 'drizzle' && set.layout !== 'folders' && migration.record.format === 'drizzle'
      ? { tag: migration.version, when: migration.record.createdAt }
      : undefined
  return {
    path: relativeTo(set.dir, migration.up.file),
    files,
    ...(journal === undefined ? {} : { journal }),
  }
}

/**
 * One link of the chain: SHA-256 over the previous link's digest and this migration's record.
 * Each part is length-framed, so no two different records hash the same bytes. Because a link
 * needs only the previous digest, a checker can verify any line from the line before it and so
 * attribute an edit to exactly one file.
 */
export function chainLink(previous: Buffer | undefined, record: MigrationRecord): Buffer {
  const hash = createHash('sha256')
  hash.update(previous ?? SEED)
  for (const file of record.files) {
    hash.update(`file ${Buffer.byteLength(file.path)}:${file.path} ${file.bytes.length}\n`)
    hash.update(file.bytes)
  }
  if (record.journal) {
    hash.update(
      `journal ${Buffer.byteLength(record.journal.tag)}:${record.journal.tag} ${record.journal.when}\n`,
    )
  }
  return hash.digest()
}

/**
 * The manifest of `records`, in order: each entry's chain value from the one before it, and the
 * header over the lines.
 */
export function chainRecords(records: readonly MigrationRecord[]): {
  sum: string
  entries: { path: string; sum: string }[]
} {
  const entries: { path: string; sum: string }[] = []
  let previous: Buffer | undefined
  for (const record of records) {
    previous = chainLink(previous, record)
    entries.push({ path: record.path, sum: encodeSum(previous) })
  }
  return { sum: headerSum(entries.map(formatEntryLine)), entries }
}

/** The header checksum: SHA-256 over the entry lines exactly as {@link formatEntryLine} writes them. */
export function headerSum(lines: readonly string[]): string {
  const hash = createHash('sha256')
  for (const line of lines) hash.update(`${line}\n`)
  return encodeSum(hash.digest())
}

/** A path as written on a manifest line: bare when it is plain, JSON-quoted otherwise. */
function formatPath(relativePath: string): string {
  return /^[^\s"\\\p{C}]+$/u.test(relativePath) ? relativePath : JSON.stringify(relativePath)
}

/** One entry line: `<path> h1:<base64>`. */
export function formatEntryLine(entry: { path: string; sum: string }): string {
  return `${formatPath(entry.path)} ${entry.sum}`
}
