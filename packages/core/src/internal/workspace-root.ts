import { existsSync } from 'node:fs'
import path from 'node:path'

/** Files whose presence marks the root of a project or monorepo. */
const ROOT_MARKERS = [
  'pnpm-workspace.yaml',
  'pnpm-lock.yaml',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'bun.lock',
  'bun.lockb',
  '.git',
]

/**
 * The topmost ancestor of `cwd` (itself included) that holds a workspace file, a lockfile or
 * `.git`, else `cwd`. Topmost, so that every package of a monorepo finds the same folder (a
 * package may have a lockfile of its own).
 *
 * @example
 * findWorkspaceRoot('/repo/packages/api') // '/repo' when /repo holds pnpm-workspace.yaml
 */
export function findWorkspaceRoot(cwd: string): string {
  let dir = path.resolve(cwd)
  let found: string | undefined
  for (;;) {
    if (ROOT_MARKERS.some((marker) => existsSync(path.join(dir, marker)))) found = dir
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return found ?? path.resolve(cwd)
}
