import { execFileSync, spawnSync } from 'node:child_process'
import { PgtestbedError } from '../errors.js'

/** The OS user the embedded server runs as when pgtestbed itself runs as root. */
export const DEFAULT_EMBEDDED_OS_USER = 'pgtestbed'

/** An OS account PostgreSQL runs as. */
export interface OsUser {
  name: string
  uid: number
  gid: number
}

/** True when this process runs as root (PostgreSQL refuses to). */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0
}

function lookupUser(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim())
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim())
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid }
  } catch {
    // `id` exits non-zero for an unknown user.
  }
  return undefined
}

const created = new Map<string, OsUser>()

/**
 * The unprivileged account the embedded server runs as, or undefined when this process is not
 * root (the server then runs as the current user). As root, the account `name` is created when
 * missing: a system user with its own group, no home and no login shell (`useradd`, or BusyBox
 * `adduser` on Alpine). Safe when several processes do it at once.
 *
 * @throws PgtestbedError `EMBEDDED_START_FAILED` when the account does not exist and cannot be made.
 * @example
 * const user = ensureServerUser('pgtestbed') // { name: 'pgtestbed', uid: 998, gid: 998 } as root
 */
export function ensureServerUser(name: string = DEFAULT_EMBEDDED_OS_USER): OsUser | undefined {
  if (!runningAsRoot()) return undefined
  const known = created.get(name) ?? lookupUser(name)
  if (known) {
    created.set(name, known)
    return known
  }
  const attempts: [string, string[]][] = [
    [
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        name,
      ],
    ],
    ['adduser', ['-S', '-D', '-H', '-h', '/nonexistent', '-s', '/sbin/nologin', name]],
  ]
  const failures: string[] = []
  for (const [command, args] of attempts) {
    const result = spawnSync(command, args, { encoding: 'utf8' })
    // Another process may have created it meanwhile ("already exists"): look it up either way.
    const user = lookupUser(name)
    if (user) {
      created.set(name, user)
      return user
    }
    failures.push(
      result.error
        ? `${command}: ${result.error.message}`
        : `${command}: ${(result.stderr || result.stdout || `exit code ${result.status}`).trim()}`,
    )
  }
  throw new PgtestbedError(
    'EMBEDDED_START_FAILED',
    `PostgreSQL refuses to run as root, and pgtestbed could not create the OS user "${name}" to run the embedded server as (${failures.join('; ')})`,
    {
      fix: `Create the user yourself (useradd --system --user-group ${name}), run the tests as a non-root user, or set PGTESTBED_URL to a PostgreSQL server you already have.`,
    },
  )
}
