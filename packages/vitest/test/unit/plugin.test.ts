import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { pgtestbed } from '../../src/plugin.js'

/** The real path of a file of the `@pgtestbed/core` this package depends on, as Vitest names it. */
function coreFile(relative: string): string {
  const manifest = createRequire(import.meta.url).resolve('@pgtestbed/core/package.json')
  return path
    .join(realpathSync(path.dirname(manifest)), relative)
    .split(path.sep)
    .join('/')
}

describe('the pgtestbed() plugin', () => {
  test("should have Node load core's built files natively (server.deps.external), not Vitest's module runner", () => {
    const plugin = pgtestbed()
    const config = (
      plugin.config as () => { test?: { server?: { deps?: { external?: RegExp[] } } } }
    )()
    const external = config.test?.server?.deps?.external ?? []
    expect(external).toHaveLength(1)
    const [pattern] = external
    expect(pattern!.test(coreFile('dist/worker.js'))).toBe(true)
    expect(pattern!.test(coreFile('dist/index.js'))).toBe(true)
    // Only core: the user's own files and this plugin's files are left to Vitest.
    expect(pattern!.test(coreFile('src/worker.ts'))).toBe(false)
    expect(pattern!.test('/repo/packages/api/dist/index.js')).toBe(false)
  })
})
