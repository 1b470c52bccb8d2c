import { describe, expect, it } from 'vitest'
import { discoverFixture, single } from '../helpers/discovery.js'

describe('format detection', () => {
  it.each([
    ['goose-basic', 'goose'],
    ['golang-migrate-basic', 'golang-migrate'],
    ['dbmate-basic', 'dbmate'],
    ['detect-drizzle', 'drizzle'],
  ])('should detect %s as %s', async (fixture, format) => {
    const set = await discoverFixture(fixture)
    expect(set.format).toBe(format)
    expect(set.diagnostics.filter((d) => d.code.startsWith('FORMAT_'))).toEqual([])
    expect(set.migrations.length).toBeGreaterThan(0)
  })

  it('should call a folder with goose and dbmate files ambiguous and name the format option', async () => {
    const set = await discoverFixture('detect-ambiguous')
    const d = single(set, 'FORMAT_AMBIGUOUS')
    expect(d.severity).toBe('error')
    expect(d.message).toContain(
      'goose (a `-- +goose Up` annotation) and dbmate (a `-- migrate:up` directive)',
    )
    expect(d.fix).toContain('`format` option')
    expect(set.migrations).toEqual([])
  })

  it('should call numbered plain SQL files ambiguous, saying what annotation is missing', async () => {
    const set = await discoverFixture('detect-plain-sql')
    const d = single(set, 'FORMAT_AMBIGUOUS')
    expect(d.message).toContain('fit goose')
    expect(d.message).toContain('fit goose (`00001_name.sql` names), dbmate')
    expect(d.message).toContain(
      'no file has a `-- +goose Up` annotation, a `-- migrate:up` directive or a `-- Up Migration` marker',
    )
  })

  it('should report FORMAT_UNKNOWN listing the files it saw', async () => {
    const set = await discoverFixture('detect-unknown')
    const d = single(set, 'FORMAT_UNKNOWN')
    expect(d.severity).toBe('error')
    expect(d.message).toContain('detect-unknown/')
    expect(d.message).toContain('notes.txt, schema.sql')
    expect(d.fix).toContain(
      "'goose', 'golang-migrate', 'prisma', 'drizzle', 'dbmate' or 'node-pg-migrate'",
    )
  })

  it('should report an empty folder (placeholders only) as NO_MIGRATIONS', async () => {
    const set = await discoverFixture('detect-empty')
    const d = single(set, 'NO_MIGRATIONS')
    expect(d.severity).toBe('error')
    expect(d.message).toContain('detect-empty/ holds no migration files')
  })
})
