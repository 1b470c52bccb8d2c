import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectKeyFor } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import {
  copyFixture,
  dropProjectDatabases,
  packageDir,
  readReports,
  runVitest,
  SERVER_URL,
} from './helpers.js'

const { defer, reportDir } = useCleanups()

/** `pnpm pack` of this package, extracted; returns the package folder. */
function packAndExtract(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-vitest-e2e-pack-'))
  defer(() => rmSync(dir, { recursive: true, force: true }))
  const pnpm = path.resolve(packageDir, '../../node_modules/.bin/pnpm')
  execFileSync(pnpm, ['pack', '--pack-destination', dir], { cwd: packageDir, stdio: 'pipe' })
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'))!
  execFileSync('tar', ['xzf', tarball], { cwd: dir })
  return path.join(dir, 'package')
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
}

describe('the packed package', () => {
  test('should ship the entries its exports name, and nothing from src or test', () => {
    const pkg = packAndExtract()
    const manifest = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string } | string>
      bin: Record<string, string>
      dependencies: Record<string, string>
    }
    const files = filesUnder(pkg)
    for (const entry of ['.', './test']) {
      const target = manifest.exports[entry] as { types: string; default: string }
      expect(files).toContain(target.types.slice(2))
      expect(files).toContain(target.default.slice(2))
    }
    // The plugin points Vitest at these two by path.
    expect(files).toContain('dist/global-setup.js')
    expect(files).toContain('dist/setup-file.js')
    // The `pgtestbed` command (pnpm links only direct dependencies' commands).
    expect(files).toContain(manifest.bin.pgtestbed!.slice(2))
    // test.d.ts exposes pg.Pool: its types must come with the package.
    expect(manifest.dependencies['@types/pg']).toBeDefined()
    expect(files.filter((f) => f.startsWith('src') || f.startsWith('test'))).toEqual([])
    expect(manifest.dependencies['@pgtestbed/core']).not.toContain('workspace:')
    // The ProvidedContext augmentation ships with the types.
    const types = files.filter((f) => f.endsWith('.d.ts'))
    const text = types.map((f) => readFileSync(path.join(pkg, f), 'utf8')).join('\n')
    expect(text).toContain("declare module 'vitest'")
  })

  test('should run the happy-path fixture when installed as a real node_modules folder', async () => {
    const pkg = packAndExtract()
    const project = copyFixture('happy', 'v4', { pluginDir: pkg })
    defer(() => project.remove())
    const key = projectKeyFor(project.file('migrations'))
    defer(() => dropProjectDatabases(key))
    const out = reportDir()
    const run = await runVitest(project, [], { env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out } })
    expect(run.output).toContain('Tests  4 passed (4)')
    expect(run.code).toBe(0)
    expect(new Set(Object.values(readReports(out)).map((r) => r.database)).size).toBe(3)
  })
})
