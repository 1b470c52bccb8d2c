import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import type { DiagnosticsError } from '../../src/errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { checkManifest, writeManifest } from '../../src/migrations/files/manifest.js'
import { prepareMigrations } from '../../src/testbed/prepare.js'

/**
 * One rule for where the manifest is, at every entry point: a path in a config file is relative
 * to that file; a path given in code (plugin options, startTestbed, checkManifest, writeManifest)
 * is relative to `cwd`, the project root; no path means `pgtestbed.sum` in the migrations folder.
 */
const roots: string[] = []
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A project: `<root>/db/migrations/00001_a.sql` and a workspace marker. */
function project(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-manifest-paths-'))
  roots.push(root)
  writeFileSync(path.join(root, 'pnpm-workspace.yaml'), 'packages: []\n')
  mkdirSync(path.join(root, 'db/migrations'), { recursive: true })
  writeFileSync(
    path.join(root, 'db/migrations/00001_a.sql'),
    '-- +goose Up\nCREATE TABLE a (id int);\n\n-- +goose Down\nDROP TABLE a;\n',
  )
  return root
}

const migrationsOf = (root: string) =>
  discoverMigrations({ cwd: root, migrations: 'db/migrations' })

/** Edits the migration, so a manifest written before no longer matches. */
const edit = (root: string) =>
  writeFileSync(
    path.join(root, 'db/migrations/00001_a.sql'),
    '-- +goose Up\nCREATE TABLE b (id int);\n\n-- +goose Down\nDROP TABLE b;\n',
  )

async function mismatch(promise: Promise<unknown>): Promise<DiagnosticsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as DiagnosticsError,
  )
  if (!error) throw new Error('expected a failure')
  return error
}

describe('where the manifest file is', () => {
  it('should use pgtestbed.sum in the migrations folder when no path is given, at every entry point', async () => {
    const root = project()
    const set = await migrationsOf(root)
    const written = await writeManifest(set)
    expect(written.file).toBe(path.join(root, 'db/migrations/pgtestbed.sum'))
    expect(await checkManifest(set)).toEqual([])
    edit(root)
    const error = await mismatch(prepareMigrations({ cwd: root, migrations: 'db/migrations' }))
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(error.message).toContain('00001_a.sql changed since pgtestbed.sum was written')
  })

  it('should resolve a path given as an option against cwd (the project root), not the migrations folder', async () => {
    const root = project()
    const set = await migrationsOf(root)
    mkdirSync(path.join(root, 'locks'))
    const { file } = await writeManifest(set, 'locks/app.sum', { cwd: root })
    expect(file).toBe(path.join(root, 'locks/app.sum'))
    expect(await checkManifest(set, 'locks/app.sum', { cwd: root })).toEqual([])
    const options = { cwd: root, migrations: 'db/migrations', manifest: 'locks/app.sum' }
    await expect(prepareMigrations(options)).resolves.toMatchObject({ warnings: [] })

    edit(root)
    const error = await mismatch(prepareMigrations(options))
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(error.diagnostics.map((d) => [d.code, d.related?.[0]?.file])).toEqual([
      ['MANIFEST_EDITED', path.join(root, 'locks/app.sum')],
    ])
  })

  it('should resolve a relative checkManifest path against process.cwd() by default', async () => {
    const root = project()
    const set = await migrationsOf(root)
    const { file } = await writeManifest(set, path.join(root, 'app.sum'))
    expect(await checkManifest(set, path.relative(process.cwd(), file))).toEqual([])
    expect(existsSync(path.join(root, 'db/migrations/app.sum'))).toBe(false)
  })

  it('should resolve a path in a config file against the config file’s folder, not cwd', async () => {
    const root = project()
    mkdirSync(path.join(root, 'config'))
    writeFileSync(
      path.join(root, 'config/pgtestbed.config.json'),
      JSON.stringify({ migrations: '../db/migrations', manifest: 'app.sum' }),
    )
    const { config } = await loadConfig({ cwd: root, file: 'config/pgtestbed.config.json' })
    expect(config.manifest).toBe(path.join(root, 'config/app.sum'))
    const options = { migrations: config.migrations!, manifest: config.manifest, cwd: root }
    const set = await migrationsOf(root)
    await writeManifest(set, path.join(root, 'config/app.sum'))
    // The loaded config passed on as options (what the plugins do) finds the same file.
    await expect(prepareMigrations(options)).resolves.toMatchObject({
      warnings: [],
    })
    edit(root)
    const error = await mismatch(prepareMigrations(options))
    expect(error.message).toContain('changed since app.sum was written')
  })
})
