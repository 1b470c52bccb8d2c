import { describe, expect, it } from 'vitest'
import { discoverFixture, fixturePath, withCode } from '../helpers/discovery.js'

describe('STRAY_FILE', () => {
  it('should fail SQL-looking files goose would skip and warn about other files', async () => {
    const set = await discoverFixture('stray-files')
    const strays = withCode(set, 'STRAY_FILE')
    const at = (name: string) => strays.find((d) => d.file === fixturePath('stray-files', name))
    expect(at('00002_b.SQL')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('goose only reads files that end in lower-case `.sql`'),
      fix: expect.stringContaining('rename it to 00002_b.sql'),
    })
    expect(at('00001_a.sql.bak')).toMatchObject({
      severity: 'error',
      fix: expect.stringContaining('delete it or move it out'),
    })
    expect(at('README.md')).toMatchObject({ severity: 'warning' })
    expect(at('seeds/001_users.sql')).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('seeds/ holds 2 SQL files'),
    })
    expect(at('seeds/001_users.sql')?.message).toContain('reads only the top level')
    expect(strays).toHaveLength(4)
  })

  it('should not report what the ignore option names, and say so in the fix of what it does not', async () => {
    const set = await discoverFixture('stray-files')
    const fixes = withCode(set, 'STRAY_FILE').map((d) => d.fix)
    expect(fixes).toEqual(
      expect.arrayContaining([
        expect.stringContaining("list it in the `ignore` option (ignore: ['README.md'])"),
        expect.stringContaining(
          "if it is an archive, seeds or test data, list it in the `ignore` option (ignore: ['seeds'])",
        ),
      ]),
    )
    // A folder name, a glob and a file name; SQL-looking top-level files stay errors.
    const ignoring = await discoverFixture('stray-files', { ignore: ['seeds', '*.md'] })
    expect(withCode(ignoring, 'STRAY_FILE').map((d) => d.file)).toEqual([
      fixturePath('stray-files', '00001_a.sql.bak'),
      fixturePath('stray-files', '00002_b.SQL'),
    ])
    const everything = await discoverFixture('stray-files', {
      ignore: ['seeds/**', 'README.md', '00001_a.sql.bak', '00002_b.SQL'],
    })
    expect(withCode(everything, 'STRAY_FILE')).toEqual([])
  })

  it('should never flag pgtestbed.sum, .gitkeep, OS litter, Go helpers or non-SQL files in sub-folders', async () => {
    const set = await discoverFixture('stray-files')
    const flagged = withCode(set, 'STRAY_FILE').map((d) => d.file)
    for (const name of ['pgtestbed.sum', '.gitkeep', '.DS_Store', 'main.go', 'docs/diagram.png']) {
      expect(flagged).not.toContain(fixturePath('stray-files', name))
    }
  })

  it('should fail a golang-migrate folder’s .sql file without a direction, proposing the .up name', async () => {
    const set = await discoverFixture('golang-migrate-stray')
    const strays = withCode(set, 'STRAY_FILE')
    expect(strays.map((d) => [d.severity, d.file])).toEqual([
      ['error', fixturePath('golang-migrate-stray', '2_add_b.sql')],
      ['error', fixturePath('golang-migrate-stray', '3_c.UP.sql')],
    ])
    expect(strays[0]?.message).toContain('golang-migrate silently ignores')
    expect(strays[0]?.fix).toContain('rename it to 2_add_b.up.sql')
    expect(strays[1]?.fix).toContain('rename it to 3_c.up.sql')
  })

  it('should fail a dbmate folder’s .sql file without a version, proposing the next one', async () => {
    const set = await discoverFixture('stray-files-dbmate')
    const [d] = withCode(set, 'STRAY_FILE')
    expect(d).toMatchObject({
      severity: 'error',
      file: fixturePath('stray-files-dbmate', 'schema.sql'),
    })
    expect(d?.message).toContain('dbmate only reads files whose name starts with digits')
    expect(d?.fix).toContain('rename it to 20240101120001_schema.sql')
  })

  it('should leave files a format module already reported to that module', async () => {
    const set = await discoverFixture('goose-bad-filename')
    expect(withCode(set, 'STRAY_FILE')).toEqual([])
  })
})
