import { createHash } from 'node:crypto'

/** Length of a checksum as Prisma writes it: 64 lower-case hex digits. */
const CHECKSUM_LENGTH = 64

function digest(script: string): Buffer {
  return createHash('sha256').update(script, 'utf8').digest()
}

/**
 * The checksum Prisma's schema engine records in `_prisma_migrations.checksum`: the SHA-256 of
 * `migration.sql` exactly as the Prisma CLI reads it (UTF-8, line endings and a BOM kept), as 64
 * lower-case hex digits.
 *
 * @example
 * prismaChecksum('hello') // '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
 */
export function prismaChecksum(script: string): string {
  return digest(script).toString('hex')
}

/**
 * Whether `script` still matches a recorded checksum, the way Prisma decides that a migration
 * "was modified after it was applied": the script as it is, with CRLF turned into LF, or with LF
 * turned into CRLF (git may have changed the line endings of a checkout) may match. A checksum
 * that is not 64 characters long was written by an old Prisma that dropped the leading zero of
 * each byte, and is compared in that form.
 *
 * @example
 * prismaChecksumMatches('a\r\nb', prismaChecksum('a\nb')) // true
 */
export function prismaChecksumMatches(script: string, checksum: string): boolean {
  const unpadded = checksum !== '' && checksum.length !== CHECKSUM_LENGTH
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')]
  return variants.some((variant) => {
    const bytes = digest(variant)
    const text = unpadded
      ? [...bytes].map((byte) => byte.toString(16)).join('')
      : bytes.toString('hex')
    return text === checksum
  })
}
