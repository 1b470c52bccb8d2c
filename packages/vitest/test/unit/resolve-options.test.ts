import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { discoverMigrations, isPgtestbedError } from '@pgtestbed/core'
import { afterEach, describe, expect, test } from 'vitest'
import { resolveProjectOptions } from '../../src/node/resolve-options.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function projectWithConfig(config: object | undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-vitest-unit-'))
  dirs.push(dir)
  // A lockfile marks the folder as the workspace root, so the search never leaves it.
  writeFileSync(path.join(dir, 'pnpm-lock.yaml'), '')
  if (config) writeFileSync(path.join(dir, 'pgtestbed.config.json'), JSON.stringify(config))
  return dir
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: Error) => error,
  )
}

describe('resolveProjectOptions', () => {
  test('should use the defaults with neither options nor a config file', async () => {
    const root = projectWithConfig(undefined)
    const resolved = await resolveProjectOptions({}, { root, name: '', configFile: undefined })
    expect(resolved.envVar).toBe('DATABASE_URL')
    expect(resolved.keepOnFailure).toBe(true)
    expect(resolved.configFile).toBeUndefined()
    expect(resolved.testbed.cwd).toBe(root)
    expect(resolved.testbed.migrations).toBeUndefined()
    // lint defaults to on: a hook is passed to startTestbed.
    expect(typeof resolved.testbed.lint).toBe('function')
  })

  test('should let plugin options win over the config file, and projects[name] over both', async () => {
    const root = projectWithConfig({
      migrations: './db/migrations',
      envVar: 'FROM_FILE',
      keepOnFailure: false,
      verifyDown: true,
    })
    const plugin = {
      envVar: 'FROM_PLUGIN',
      lint: false,
      projects: { api: { envVar: 'API_URL', keepOnFailure: true } },
    }
    const other = await resolveProjectOptions(plugin, { root, name: 'web', configFile: undefined })
    expect(other.envVar).toBe('FROM_PLUGIN')
    expect(other.keepOnFailure).toBe(false)
    expect(other.testbed.verifyDown).toBe(true)
    // Paths in a config file are relative to the file's folder.
    expect(other.testbed.migrations).toBe(path.join(root, 'db/migrations'))
    expect(other.testbed.lint).toBeUndefined()
    expect(other.configFile).toBe(path.join(root, 'pgtestbed.config.json'))

    const api = await resolveProjectOptions(plugin, { root, name: 'api', configFile: undefined })
    expect(api.envVar).toBe('API_URL')
    expect(api.keepOnFailure).toBe(true)
    // Only the per-file settings differ: both projects can share one testbed.
    expect(api.key).toBe(other.key)
  })

  test('should give equal options the same key, so projects share one testbed', async () => {
    const root = projectWithConfig(undefined)
    const a = await resolveProjectOptions(
      { migrations: './m', lint: false, envVar: 'A' },
      { root, name: 'a', configFile: undefined },
    )
    const b = await resolveProjectOptions(
      { migrations: './m', lint: false, envVar: 'B' },
      { root, name: 'b', configFile: undefined },
    )
    expect(a.key).toBe(b.key)
  })

  test('should ignore config files with configFile: false', async () => {
    const root = projectWithConfig({ migrations: './db/migrations' })
    const resolved = await resolveProjectOptions(
      { configFile: false, lint: false },
      { root, name: '', configFile: undefined },
    )
    expect(resolved.testbed.migrations).toBeUndefined()
    expect(resolved.configFile).toBeUndefined()
  })

  test('should reject an unknown plugin option with INVALID_OPTIONS naming the key and the config', async () => {
    const root = projectWithConfig(undefined)
    const error = await rejection(
      resolveProjectOptions({ migration: './m' } as never, {
        root,
        name: '',
        configFile: '/repo/vitest.config.ts',
      }),
    )
    expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toContain(
      'invalid pgtestbed config in the pgtestbed() plugin options in /repo/vitest.config.ts',
    )
    expect(error.message).toContain('unknown key `migration` (did you mean `migrations`?)')
    // The plugin's own keys are named among the accepted ones, and guessed for a typo.
    expect(error.message).toMatch(/accepted keys: .*, projects, configFile$/m)
    const typo = await rejection(
      resolveProjectOptions({ project: {} } as never, { root, name: '', configFile: undefined }),
    )
    expect(typo.message).toContain('unknown key `project` (did you mean `projects`?)')
  })

  test('should reject a bad projects entry naming the project', async () => {
    const root = projectWithConfig(undefined)
    const error = await rejection(
      resolveProjectOptions(
        { projects: { api: { envVar: 'not a name' } } },
        {
          root,
          name: 'api',
          configFile: undefined,
        },
      ),
    )
    expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toContain('projects.api')
    expect(error.message).toContain('`envVar` must be an environment variable name')
  })

  test('should accept the embedded storage options, in the plugin and in a config file', async () => {
    const root = projectWithConfig({ embedded: { storage: 'disk' } })
    const resolved = await resolveProjectOptions(
      { embedded: { storage: 'memory', memoryDir: '/dev/shm' } },
      { root, name: '', configFile: undefined },
    )
    // The plugin's object replaces the file's, key by key at the top level.
    expect(resolved.testbed.embedded).toEqual({ storage: 'memory', memoryDir: '/dev/shm' })
    const error = await rejection(
      resolveProjectOptions(
        { embedded: { storage: 'ram' as never } },
        { root, name: '', configFile: undefined },
      ),
    )
    expect(error.message).toContain(
      '`embedded.storage` must be "auto" | "memory" | "disk", got "ram"',
    )
  })

  test('should cache lint findings in the lint folder of the cache folder', async () => {
    const root = projectWithConfig(undefined)
    mkdirSync(path.join(root, 'migrations'))
    writeFileSync(
      path.join(root, 'migrations', '00001_users.sql'),
      '-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE users;\n',
    )
    const resolved = await resolveProjectOptions(
      { cacheDir: './.cache' },
      { root, name: '', configFile: undefined },
    )
    const set = await discoverMigrations({ cwd: root })
    expect(await resolved.testbed.lint!(set)).toEqual([])
    expect(readdirSync(path.join(root, '.cache', 'lint'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}-[0-9a-f]{8}\.json$/),
    ])
  })

  test('should reject a configFile that does not exist with CONFIG_LOAD_FAILED', async () => {
    const root = projectWithConfig(undefined)
    const error = await rejection(
      resolveProjectOptions(
        { configFile: './missing.config.ts' },
        { root, name: '', configFile: undefined },
      ),
    )
    expect(isPgtestbedError(error) && error.code).toBe('CONFIG_LOAD_FAILED')
    expect(error.message).toContain(path.join(root, 'missing.config.ts'))
  })
})
