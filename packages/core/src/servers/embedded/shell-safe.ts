import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Reporter } from '../../progress.js'
import type { EmbeddedBinaries } from './binaries.js'

/**
 * No shell ever sees a path pgtestbed chose. pgtestbed itself spawns every program with an
 * argument vector, but PostgreSQL's own tools do not: `initdb` finds `postgres` by running
 * `"<its own folder>/postgres" -V` through `popen()`, i.e. `/bin/sh -c`, and double quotes stop
 * neither `` `…` `` nor `$(…)`. A project folder named `` a`touch x` `` would run that command,
 * and one holding `"` or `$` could not start the server at all. So the binaries run from a
 * folder whose path holds only characters a shell treats as plain text inside double quotes:
 * where they are when that is already true, else from a copy under the temp folder.
 * @module
 */

/**
 * Letters and digits of any script, space, and `_ . / + @ : , = -`. Everything else (`` ` $ " \ ' ``,
 * `!`, `;`, `&`, `|`, `*`, `?`, brackets, a newline…) sends the binaries to a copy.
 */
const SHELL_SAFE = /^[\p{L}\p{N} _./+@:,=-]+$/u

/**
 * True when `dir` can be pasted between double quotes in a shell command and mean itself.
 *
 * @example
 * isShellSafePath('/home/ann/my project/node_modules') // true
 * isShellSafePath('/home/ann/$(reboot)') // false
 */
export function isShellSafePath(dir: string): boolean {
  return SHELL_SAFE.test(dir)
}

/** The temp folder when it is shell-safe, else `/tmp`. */
function safeTempRoot(): string {
  const tmp = os.tmpdir()
  return isShellSafePath(tmp) ? tmp : '/tmp'
}

/**
 * `binaries` when their folder is shell-safe; else the same binaries from a world-readable copy
 * of their `native` folder under the temp folder, made once (under a temporary name, renamed into
 * place, so concurrent processes never see half a copy) and refused when another user owns it.
 *
 * @example
 * const runnable = await shellSafeBinaries(await prepareBinaries(…), reporter)
 */
export async function shellSafeBinaries(
  binaries: EmbeddedBinaries,
  reporter: Reporter,
): Promise<EmbeddedBinaries> {
  if (isShellSafePath(binaries.nativeDir)) return binaries
  const key = createHash('sha256').update(binaries.nativeDir).digest('hex').slice(0, 16)
  const parent = path.join(safeTempRoot(), 'pgtestbed-binaries')
  const destination = path.join(parent, `safe-${binaries.version}-${key}`)
  reporter.info(
    `the PostgreSQL binaries' folder ${JSON.stringify(binaries.nativeDir)} holds characters a shell would interpret (PostgreSQL's initdb runs its own path through one): using a copy in ${destination}`,
  )
  await fs.mkdir(parent, { recursive: true, mode: 0o755 })
  const me = process.getuid?.()
  for (const dir of [parent, destination]) {
    const owner = (await fs.stat(dir).catch(() => undefined))?.uid
    if (me !== undefined && owner !== undefined && owner !== me) {
      throw new Error(`${dir} belongs to another user (uid ${owner}); remove it`)
    }
  }
  const nativeDir = path.join(destination, 'native')
  if (!(await fs.stat(path.join(nativeDir, 'bin')).catch(() => undefined))) {
    const temporary = `${destination}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      await fs.mkdir(temporary, { mode: 0o755 })
      await fs.cp(binaries.nativeDir, path.join(temporary, 'native'), {
        recursive: true,
        verbatimSymlinks: true,
      })
      await fs.rename(temporary, destination)
    } catch (error) {
      await fs.rm(temporary, { recursive: true, force: true })
      if (!(await fs.stat(path.join(nativeDir, 'bin')).catch(() => undefined))) throw error
    }
  }
  const relocate = (file: string) => path.join(nativeDir, path.relative(binaries.nativeDir, file))
  return {
    ...binaries,
    nativeDir,
    postgres: relocate(binaries.postgres),
    initdb: relocate(binaries.initdb),
  }
}
