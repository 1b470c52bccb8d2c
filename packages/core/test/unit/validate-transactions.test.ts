import { describe, expect, it } from 'vitest'
import type { Migration, MigrationSet } from '../../src/migrations/types.js'
import { validateMigrations } from '../../src/migrations/files/validate.js'
import { discoverFixture, fixturePath, withCode } from '../helpers/discovery.js'

const rows = (
  set: { diagnostics: MigrationSet['diagnostics'] },
  code: 'NON_TRANSACTIONAL_IN_TRANSACTION' | 'ENUM_VALUE_IN_TRANSACTION',
) => withCode(set, code).map((d) => [d.severity, d.file?.split('/').pop(), d.line])

describe('NON_TRANSACTIONAL_IN_TRANSACTION', () => {
  it('should fail goose statements that cannot run in a transaction, in either direction, at their line', async () => {
    const set = await discoverFixture('non-transactional-goose')
    expect(rows(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')).toEqual([
      ['error', '00001_in_tx.sql', 4],
      ['error', '00001_in_tx.sql', 7],
      ['error', '00003_no_tx_same_line.sql', 3],
      ['error', '00003_no_tx_same_line.sql', 8],
      ['error', '00004_no_tx_explicit_begin.sql', 5],
    ])
    const [up, down, sameLine, block, explicit] = withCode(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')
    expect(up?.message).toContain('CREATE INDEX CONCURRENTLY cannot run inside a transaction block')
    expect(up?.message).toContain('Up section of 00001_in_tx.sql')
    expect(up?.fix).toContain('-- +goose NO TRANSACTION')
    expect(down?.message).toContain('DROP INDEX CONCURRENTLY')
    expect(down?.message).toContain('Down section')
    expect(sameLine?.message).toContain('one query string with 1 other command')
    expect(sameLine?.message).toContain('implicit transaction')
    expect(sameLine?.fix).toContain('statement of its own')
    expect(block?.message).toContain('DROP INDEX CONCURRENTLY in the Down section')
    expect(explicit?.message).toContain('REINDEX CONCURRENTLY')
    expect(explicit?.message).toContain('transaction opened on line 3')
  })

  it('should accept look-alikes: comments, strings, function bodies, REFRESH MATERIALIZED VIEW, ALTER DATABASE SET', async () => {
    const set = await discoverFixture('non-transactional-goose')
    const lookAlikes = fixturePath('non-transactional-goose', '00005_look_alikes.sql')
    expect(set.diagnostics.filter((d) => d.file === lookAlikes)).toEqual([])
  })

  it('should name dbmate’s transaction:false opt-out and fail a shared block even without a transaction', async () => {
    const set = await discoverFixture('non-transactional-dbmate')
    expect(rows(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')).toEqual([
      ['error', '20240101120000_in_tx.sql', 3],
      ['error', '20240103120000_no_tx_shared.sql', 3],
    ])
    const [inTx, shared] = withCode(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')
    expect(inTx?.fix).toContain('-- migrate:up transaction:false')
    expect(shared?.message).toContain('even though dbmate adds no BEGIN')
    expect(shared?.fix).toContain('migration of its own')
  })

  it('should fail a golang-migrate file that sends a concurrent index with other commands', async () => {
    const set = await discoverFixture('non-transactional-golang-migrate')
    expect(rows(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')).toEqual([['error', '1_a.up.sql', 3]])
    const [d] = withCode(set, 'NON_TRANSACTIONAL_IN_TRANSACTION')
    expect(d?.fix).toContain('golang-migrate sends the whole file as one query string')
  })

  it('should say drizzle cannot opt out of its transaction', () => {
    const set = drizzleSet([['CREATE INDEX CONCURRENTLY "i" ON "t" ("a");']])
    const [d] = validateMigrations(set, { entries: [] }).filter(
      (x) => x.code === 'NON_TRANSACTIONAL_IN_TRANSACTION',
    )
    expect(d).toMatchObject({ severity: 'error', file: '/app/drizzle/0000_a.sql', line: 1 })
    expect(d?.fix).toContain('no way to opt out')
  })
})

describe('ENUM_VALUE_IN_TRANSACTION', () => {
  it('should fail a goose migration that uses an enum value it added in the same transaction, also when it created the enum there', async () => {
    const set = await discoverFixture('enum-value')
    // 00004 is NO TRANSACTION with one command per statement: each commits on its own.
    expect(rows(set, 'ENUM_VALUE_IN_TRANSACTION')).toEqual([
      ['error', '00002_add_and_use.sql', 3],
      ['error', '00003_created_same_tx.sql', 4],
    ])
    const [d] = withCode(set, 'ENUM_VALUE_IN_TRANSACTION')
    expect(d?.message).toContain("'meh' is added to enum mood (00002_add_and_use.sql:2)")
    expect(d?.message).toContain('55P04')
    expect(d?.related).toEqual([
      { file: fixturePath('enum-value', '00002_add_and_use.sql'), line: 2 },
    ])
    expect(d?.fix).toContain('earlier migration of its own')
    const created = withCode(set, 'ENUM_VALUE_IN_TRANSACTION')[1]
    expect(created?.message).toContain(
      "'green' is added to enum colour (00003_created_same_tx.sql:3)",
    )
  })

  it('should not count labels in CREATE TYPE, ALTER TYPE or COMMENT ON as uses', () => {
    const set = drizzleSet([
      [
        "ALTER TYPE mood ADD VALUE 'meh';",
        "ALTER TYPE mood ADD VALUE 'sulky' AFTER 'meh';",
        "CREATE TYPE other_mood AS ENUM ('meh');",
        "COMMENT ON TYPE mood IS 'meh';",
        "SELECT 'meh'::mood;",
      ],
    ])
    const found = validateMigrations(set, { entries: [] }).filter(
      (x) => x.code === 'ENUM_VALUE_IN_TRANSACTION',
    )
    expect(found.map((d) => d.line)).toEqual([5])
  })

  it('should follow drizzle’s single transaction across migrations', () => {
    const set = drizzleSet([
      ['ALTER TYPE "public"."status" ADD VALUE \'archived\';'],
      ['--> statement-breakpoint\n', 'UPDATE "orders" SET "status" = \'archived\' WHERE "closed";'],
    ])
    const found = validateMigrations(set, { entries: [] }).filter(
      (x) => x.code === 'ENUM_VALUE_IN_TRANSACTION',
    )
    expect(found.map((d) => [d.file, d.line])).toEqual([['/app/drizzle/0001_b.sql', 2]])
    expect(found[0]?.message).toContain('all pending migrations in one transaction')
  })
})

/** A drizzle set built by hand: one migration per entry, one statement per string, one line each. */
function drizzleSet(migrations: string[][]): MigrationSet {
  const built: Migration[] = migrations.map((statements, index) => {
    const file = `/app/drizzle/000${index}_${'ab'[index]}.sql`
    return {
      format: 'drizzle',
      index,
      version: `000${index}`,
      description: 'x',
      files: [file],
      up: {
        file,
        line: 1,
        transaction: true,
        statements: statements.map((sql, k) => ({ sql, line: k + 1, endLine: k + 1 })),
      },
      down: null,
      record: { format: 'drizzle', hash: 'h', createdAt: index },
    }
  })
  return {
    dir: '/app/drizzle',
    format: 'drizzle',
    layout: 'journal',
    migrations: built,
    files: built.map((m) => m.up.file),
    versionTable: { schema: 'drizzle', table: '__drizzle_migrations' },
    diagnostics: [],
  }
}
