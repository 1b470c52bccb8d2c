import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

/**
 * Reading one migration file as a hostile input: only a regular file (or a symlink to one) is
 * read, never a FIFO (opening one blocks forever), a device (`/dev/zero` never ends) or a socket;
 * at most {@link MAX_MIGRATION_FILE_BYTES}; and it must be valid UTF-8, since a decoder that
 * silently turns bad bytes into U+FFFD changes what the SQL means.
 * @module
 */

/** The largest migration file pgtestbed reads: 64 MiB. */
export const MAX_MIGRATION_FILE_BYTES = 64 * 1024 * 1024

/** Why a migration file could not be read; the line (when known) and fix go into the diagnostic. */
export class MigrationFileReadError extends Error {
  readonly line: number | undefined
  readonly fix: string
  constructor(message: string, fix: string, line?: number) {
    super(message)
    this.name = 'MigrationFileReadError'
    this.fix = fix
    this.line = line
  }
}

function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  if (stats.isDirectory()) return 'a folder'
  return 'not a regular file'
}

/**
 * The byte offset of the first byte that is not part of a valid UTF-8 sequence (overlongs,
 * surrogates and code points past U+10FFFF count as invalid), or -1 when all of `bytes` is valid.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let min: number
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80]
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800]
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000]
    else return i
    if (i + need >= bytes.length) return i
    let cp = b & (0x3f >> need)
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined || (c & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (c & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += need + 1
  }
  return -1
}

/**
 * Reads migration file `file` as UTF-8 text.
 *
 * @example
 * const text = readMigrationFile('/repo/migrations/00001_init.sql')
 * @throws MigrationFileReadError for a special file, a file past the cap, or invalid UTF-8;
 *   the file system's own errors (ENOENT, EACCES) as they are.
 */
export function readMigrationFile(file: string, maxBytes = MAX_MIGRATION_FILE_BYTES): string {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; fstat then rejects it.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  let bytes: Buffer
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) {
      throw new MigrationFileReadError(
        `it is ${kindOf(stats)}, not a regular file, so pgtestbed does not read it`,
        'replace it with a regular file (a symlink to a regular file is fine) or move it out of the migrations folder',
      )
    }
    if (stats.size > maxBytes) {
      throw new MigrationFileReadError(
        `it is ${stats.size} bytes, larger than the ${maxBytes}-byte cap on a migration file`,
        'split it into smaller migrations, or load bulk data from a seed outside the migrations folder',
      )
    }
    // Read at most cap + 1 bytes: a file that grows while it is read is still capped.
    bytes = Buffer.alloc(Math.min(stats.size, maxBytes) + 1)
    let length = 0
    for (;;) {
      if (length === bytes.length) {
        if (length > maxBytes) {
          throw new MigrationFileReadError(
            `it grew past the ${maxBytes}-byte cap on a migration file while it was read`,
            'split it into smaller migrations',
          )
        }
        bytes = Buffer.concat([bytes, Buffer.alloc(Math.min(maxBytes + 1, length * 2) - length)])
      }
      const n = readSync(fd, bytes, length, bytes.length - length, null)
      if (n === 0) break
      length += n
    }
    bytes = bytes.subarray(0, length)
  } finally {
    closeSync(fd)
  }
  const bad = firstInvalidUtf8(bytes)
  if (bad >= 0) {
    let line = 1
    let lineStart = 0
    for (let i = 0; i < bad; i++) {
      if (bytes[i] === 0x0a) {
        line++
        lineStart = i + 1
      }
    }
    const hex = `0x${bytes[bad]!.toString(16).padStart(2, '0')}`
    throw new MigrationFileReadError(
      `it is not valid UTF-8: byte ${hex} at byte offset ${bad} (line ${line}, byte ${bad - lineStart + 1} of the line) does not start a valid UTF-8 character`,
      'save the file as UTF-8 (a Latin-1 or Windows-1252 editor setting writes such bytes); pgtestbed never guesses an encoding, since a replaced character can change what the SQL means',
      line,
    )
  }
  return bytes.toString('utf8')
}
