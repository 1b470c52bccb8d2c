import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PgtestbedError } from '../../errors.js'
import { withFileLockSync } from '../../internal/file-lock.js'

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
  return passwdEntry(name) ?? idLookup(name)
}

/**
 * The account's line in /etc/passwd (where `useradd` writes it): read without starting a process,
 * which costs every run started as root two `id` processes (tens of ms on a loaded machine).
 */
function passwdEntry(name: string): OsUser | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [user, , uid = '', gid = ''] = line.split(':')
      if (user !== name || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue
      return { name, uid: Number(uid), gid: Number(gid) }
    }
  } catch {
    // No /etc/passwd (another system): ask `id`.
  }
  return undefined
}

/** The account as `id` sees it (any name service: LDAP, sssd…). */
function idLookup(name: string): OsUser | undefined {
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

/** How long a process waits for another one creating the account. */
const CREATION_LOCK_TIMEOUT_MS = 30_000

/**
 * Runs `fn` while no other pgtestbed process on the machine creates an account. Two `useradd`
 * runs at once can lose one another's write to /etc/passwd (seen when turbo started four test
 * runs on a fresh machine): the account then changes uid under the processes that looked it up
 * first, and the folders they handed to it no longer belong to it. Past the timeout `fn` runs
 * anyway; the lookup after creating tells what happened.
 */
function withCreationLock<T>(fn: () => T): T {
  const target = path.join(os.tmpdir(), 'pgtestbed-os-user')
  return withFileLockSync(target, { stale: 10_000 }, CREATION_LOCK_TIMEOUT_MS, fn)
}

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
  const known = created.get(name) ?? lookupUser(name) ?? withCreationLock(() => createUser(name))
  created.set(name, known)
  return known
}

/** Creates the account `name` (or finds it made meanwhile by another process). */
function createUser(name: string): OsUser {
  const existing = lookupUser(name)
  if (existing) return existing
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
    if (user) return user
    failures.push(
      result.error
        ? `${command}: ${result.error.message}`
        : `${command}: ${(result.stderr || result.stdout || `exit code ${result.status}`).trim()}`,
    )
    // BusyBox `adduser` only where there is no `useradd` (Debian's own `adduser` reads these
    // flags differently).
    if ((result.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') break
  }
  throw new PgtestbedError(
    'EMBEDDED_START_FAILED',
    `PostgreSQL refuses to run as root, and pgtestbed could not create the OS user "${name}" to run the embedded server as (${failures.join('; ')})`,
    {
      fix: `Create the user yourself (useradd --system --user-group ${name}), run the tests as a non-root user, or set PGTESTBED_URL to a PostgreSQL server you already have.`,
    },
  )
}
