import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { findWorkspaceRoot } from '../../internal/workspace-root.js'
import { resolveCacheDir } from './paths.js'

/** A POSIX shell word: as is when safe, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/** Whether `dir/node_modules/.bin` holds the `pgtestbed` command (installed by any of our packages). */
function hasBin(dir: string): boolean {
  const bin = path.join(dir, 'node_modules', '.bin')
  return existsSync(path.join(bin, 'pgtestbed')) || existsSync(path.join(bin, 'pgtestbed.cmd'))
}

function packageName(dir: string): string | undefined {
  try {
    const { name } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name?: unknown
    }
    return typeof name === 'string' && name !== '' ? name : undefined
  } catch {
    return undefined
  }
}

/**
 * The command line that runs `pgtestbed <args>` from the project or workspace of `cwd`, for
 * messages that tell the user to run it (a bare `pgtestbed` is on nobody's PATH):
 *
 * - `npx pgtestbed <args>` when the workspace root has it in `node_modules/.bin` (a single
 *   project; an npm workspace, which hoists it and whose `npx` finds it from every package; a
 *   root that depends on a pgtestbed package), or when no package of the workspace has it (it is
 *   installed some other way);
 * - `pnpm --filter <package> exec pgtestbed <args>` in a pnpm workspace where only the package of
 *   `cwd` has it: at the root, `pnpm exec pgtestbed` and `npx pgtestbed` do not find it, while
 *   this form works from every folder of the workspace;
 * - `(cd <package folder> && npx pgtestbed <args>)` in any other workspace where only the package
 *   has it.
 *
 * @example
 * pgtestbedCommandLine('server stop', '/repo/packages/api') // 'pnpm --filter @acme/api exec pgtestbed server stop'
 */
function pgtestbedCommandLine(args: string, cwd: string): string {
  const root = findWorkspaceRoot(cwd)
  const npx = `npx pgtestbed ${args}`
  if (hasBin(root)) return npx
  // The nearest folder from cwd up to (not including) the root that has the command.
  let dir = path.resolve(cwd)
  while (!hasBin(dir)) {
    const parent = path.dirname(dir)
    if (parent === dir || parent === root || path.relative(root, parent).startsWith('..')) {
      return npx
    }
    dir = parent
  }
  const name = packageName(dir)
  if (name && existsSync(path.join(root, 'pnpm-workspace.yaml'))) {
    return `pnpm --filter ${shellWord(name)} exec pgtestbed ${args}`
  }
  return `(cd ${shellWord(dir)} && ${npx})`
}

/**
 * The command line that stops the embedded server of `cacheDir`, for messages (the plugins print
 * it when a kept database keeps the server up), runnable from the folder the test run started in
 * and from its workspace root (`npx pgtestbed …`, or `pnpm --filter <package> exec pgtestbed …`
 * where only a package of a pnpm workspace has the command). No `--cache-dir` when `cacheDir` is
 * the default that command finds (every folder of a workspace finds the same); any other folder
 * (a `cacheDir` option, or `PGTESTBED_CACHE_DIR`, which a later shell may not have) is named.
 *
 * @example
 * serverStopCommand(resolveCacheDir()) // 'npx pgtestbed server stop'
 * serverStopCommand('/tmp/ci cache')   // "npx pgtestbed server stop --cache-dir '/tmp/ci cache'"
 */
export function serverStopCommand(cacheDir: string, cwd: string = process.cwd()): string {
  const isDefault = !process.env.PGTESTBED_CACHE_DIR && resolveCacheDir({ cwd }) === cacheDir
  const args = isDefault ? 'server stop' : `server stop --cache-dir ${shellWord(cacheDir)}`
  return pgtestbedCommandLine(args, cwd)
}
