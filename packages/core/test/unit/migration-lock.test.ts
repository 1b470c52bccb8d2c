import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { migrationLockId } from '../../src/migrations/database/lock.js'
import type { MigrationFormat, MigrationSet } from '../../src/migrations/types.js'

const setOf = (format: MigrationFormat, table: string) =>
  ({
    format,
    versionTable: { table },
    migrations: [],
    files: [],
    diagnostics: [],
    dir: '/m',
  }) as MigrationSet

describe('migrationLockId', () => {
  it("should use goose's session-locker id for goose, so goose's Provider and pgtestbed exclude each other", () => {
    expect(migrationLockId(setOf('goose', 'goose_db_version'), 'public', 'app')).toBe(4097083626n)
  })

  it("should use golang-migrate's id: crc32(schema, table, URL path) times 1486364155, wrapped to 32 bits", () => {
    // The formula checked against Go in the reference: public, schema_migrations, "postgres" → 143310882.
    expect(Math.imul(crc32('public\0schema_migrations\0postgres'), 1486364155) >>> 0).toBe(
      143310882,
    )
    // The migrate CLI opens the database from a URL, whose path keeps its leading slash.
    const expected = BigInt(Math.imul(crc32('public\0schema_migrations\0/app'), 1486364155) >>> 0)
    expect(migrationLockId(setOf('golang-migrate', 'schema_migrations'), 'public', 'app')).toBe(
      expected,
    )
  })

  it('should give dbmate and drizzle a negative id of their own, different per table', () => {
    const dbmate = migrationLockId(setOf('dbmate', 'schema_migrations'), 'public', 'app')
    const drizzle = migrationLockId(setOf('drizzle', '__drizzle_migrations'), 'drizzle', 'app')
    expect(dbmate).toBeLessThan(0n)
    expect(drizzle).toBeLessThan(0n)
    expect(dbmate).not.toBe(drizzle)
    expect(dbmate).toBeGreaterThanOrEqual(-(2n ** 31n))
  })
})
