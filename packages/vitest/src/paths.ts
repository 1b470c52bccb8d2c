import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The globalSetup file the plugin adds to every project (an absolute path into `dist`). */
export const GLOBAL_SETUP_FILE = fileURLToPath(new URL('./global-setup.js', import.meta.url))

/** The setup file the plugin puts first in every project's `setupFiles` (absolute, in `dist`). */
export const SETUP_FILE = fileURLToPath(new URL('./setup-file.js', import.meta.url))

/**
 * A pattern matching the built files of the `@pgtestbed/core` this plugin uses, by their real
 * path. Vitest runs files outside `node_modules` through its module runner (transformed, once per
 * test file); core is plain built JavaScript, so the plugin hands this pattern to
 * `server.deps.external` and Node loads it natively, as it does in an installed project (where
 * core lives under `node_modules`). Matters in a workspace, where core is a linked package.
 * `undefined` when core cannot be found from here (Vitest then decides as usual).
 */
export function coreDistPattern(): RegExp | undefined {
  let manifest: string
  try {
    manifest = createRequire(import.meta.url).resolve('@pgtestbed/core/package.json')
  } catch {
    return undefined
  }
  // Vitest matches module ids: real paths with forward slashes.
  const dist = `${path.dirname(manifest).split(path.sep).join('/')}/dist/`
  return new RegExp(dist.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}
