import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { withCode } from '../helpers/discovery.js'
import { withTempDir } from '../helpers/migration-set.js'

const TS = '..2024_01_15_10_30_00.123456789'
const goose = (table: string) =>
  `-- +goose Up\nCREATE TABLE ${table} (id int);\n\n-- +goose Down\nDROP TABLE ${table};\n`

/** Lays `files` out as Kubernetes mounts a ConfigMap: in `folder`, `..data` -> it, a symlink per key. */
function configMapVolume(dir: string, files: Record<string, string>, folder = TS): void {
  mkdirSync(path.join(dir, folder))
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, folder, name), text)
    symlinkSync(`..data/${name}`, path.join(dir, name))
  }
  symlinkSync(folder, path.join(dir, '..data'))
}

describe('migrations folders mounted from a Kubernetes ConfigMap', () => {
  it('should read the top-level files and not call ..data/ or ..<timestamp>/ stray', async () => {
    await withTempDir(async (dir) => {
      configMapVolume(dir, { '00001_a.sql': goose('a'), '00002_b.sql': goose('b') })
      const set = await discoverMigrations({ migrations: dir })
      expect(set.diagnostics).toEqual([])
      expect(set.migrations.map((m) => m.up.file)).toEqual([
        path.join(dir, '00001_a.sql'),
        path.join(dir, '00002_b.sql'),
      ])
    })
  })

  it('should also skip the second timestamped folder and ..data_tmp of an update in progress', async () => {
    await withTempDir(async (dir) => {
      configMapVolume(dir, { '1_a.up.sql': 'CREATE TABLE a (id int);' })
      const next = '..2024_01_16_08_00_00.987654321'
      mkdirSync(path.join(dir, next))
      writeFileSync(path.join(dir, next, '1_a.up.sql'), 'CREATE TABLE a (id int);')
      writeFileSync(path.join(dir, next, '2_b.up.sql'), 'CREATE TABLE b (id int);')
      symlinkSync(next, path.join(dir, '..data_tmp'))
      const set = await discoverMigrations({ migrations: dir })
      // MISSING_DOWN for 1_a only: nothing from the mount's internals.
      expect(set.diagnostics.map((d) => [d.code, path.basename(d.file ?? '')])).toEqual([
        ['MISSING_DOWN', '1_a.up.sql'],
      ])
    })
  })

  it('should still warn about SQL in a real ..data folder or in a timestamped folder without the ..data symlink', async () => {
    for (const layout of ['real ..data folder', 'no ..data symlink', '..data -> other']) {
      await withTempDir(async (dir) => {
        writeFileSync(path.join(dir, '00001_a.sql'), goose('a'))
        const folder = layout === 'real ..data folder' ? '..data' : TS
        mkdirSync(path.join(dir, folder))
        writeFileSync(path.join(dir, folder, '00001_a.sql'), goose('a'))
        if (layout === '..data -> other') {
          mkdirSync(path.join(dir, 'other'))
          symlinkSync('other', path.join(dir, '..data'))
        }
        const strays = withCode(await discoverMigrations({ migrations: dir }), 'STRAY_FILE')
        expect(
          strays.map((d) => d.message),
          layout,
        ).toContainEqual(
          `${folder}/ holds 1 SQL file (${folder}/00001_a.sql) that goose never applies: it reads only the top level of the migrations folder`,
        )
      })
    }
  })
})
