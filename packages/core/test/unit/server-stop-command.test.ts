import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { resolveCacheDir } from '../../src/servers/embedded/paths.js'
import { serverStopCommand } from '../../src/servers/embedded/stop-command.js'

let root: string
beforeEach(() => {
  vi.stubEnv('PGTESTBED_CACHE_DIR', '')
  root = mkdtempSync(path.join(tmpdir(), 'pgtestbed-stop-command-'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(root, { recursive: true, force: true })
})

/** Writes the files of a project layout under the temp root (empty content unless given). */
function layout(files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
    writeFileSync(path.join(root, file), text)
  }
}

const BIN = 'node_modules/.bin/pgtestbed'

describe('the command printed to stop an embedded server kept up for a kept database', () => {
  test('should be `npx pgtestbed server stop` in a project that has the command', () => {
    layout({ 'package.json': '{"name":"app"}', 'package-lock.json': '{}', [BIN]: '' })
    expect(serverStopCommand(resolveCacheDir({ cwd: root }), root)).toBe(
      'npx pgtestbed server stop',
    )
  })

  test('should name the package in a pnpm workspace whose root does not have the command', () => {
    layout({
      'pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
      'package.json': '{"name":"root"}',
      'packages/api/package.json': '{"name":"@acme/api"}',
      [`packages/api/${BIN}`]: '',
    })
    const api = path.join(root, 'packages/api')
    // The package's folder finds the workspace's cache folder: no --cache-dir needed.
    expect(serverStopCommand(resolveCacheDir({ cwd: api }), api)).toBe(
      'pnpm --filter @acme/api exec pgtestbed server stop',
    )
  })

  test('should use npx where the workspace root has the command (npm hoists it there)', () => {
    layout({
      'package.json': '{"name":"root","workspaces":["packages/*"]}',
      'package-lock.json': '{}',
      [BIN]: '',
      'packages/api/package.json': '{"name":"@acme/api"}',
    })
    const api = path.join(root, 'packages/api')
    expect(serverStopCommand(resolveCacheDir({ cwd: api }), api)).toBe('npx pgtestbed server stop')
  })

  test("should run npx in the package's folder in another workspace where only the package has it", () => {
    layout({
      'package.json': '{"name":"root","workspaces":["packages/*"]}',
      'yarn.lock': '',
      'packages/api/package.json': '{"name":"@acme/api"}',
      [`packages/api/${BIN}`]: '',
    })
    const api = path.join(root, 'packages/api')
    expect(serverStopCommand(resolveCacheDir({ cwd: api }), api)).toBe(
      `(cd ${api} && npx pgtestbed server stop)`,
    )
  })

  test('should fall back to npx when no folder of the workspace has the command', () => {
    layout({ 'pnpm-workspace.yaml': '', 'packages/api/package.json': '{"name":"@acme/api"}' })
    const api = path.join(root, 'packages/api')
    expect(serverStopCommand(resolveCacheDir({ cwd: api }), api)).toBe('npx pgtestbed server stop')
  })

  test('should name any other cache folder, quoted for the shell when needed', () => {
    layout({ 'package.json': '{"name":"app"}', 'package-lock.json': '{}', [BIN]: '' })
    expect(serverStopCommand('/tmp/cache', root)).toBe(
      'npx pgtestbed server stop --cache-dir /tmp/cache',
    )
    expect(serverStopCommand("/tmp/it's mine", root)).toBe(
      `npx pgtestbed server stop --cache-dir '/tmp/it'\\''s mine'`,
    )
  })

  test('should name the folder PGTESTBED_CACHE_DIR chose, which a later shell may not have set', () => {
    layout({ 'package.json': '{"name":"app"}', 'package-lock.json': '{}', [BIN]: '' })
    vi.stubEnv('PGTESTBED_CACHE_DIR', '/tmp/ci-cache')
    expect(serverStopCommand(resolveCacheDir({ cwd: root }), root)).toBe(
      'npx pgtestbed server stop --cache-dir /tmp/ci-cache',
    )
  })
})
