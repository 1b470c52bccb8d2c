import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { discoverMigrations } from '@pgtestbed/core'
import { afterEach, describe, expect, test } from 'vitest'
import { projectKey, readProjectOptions, resolveOptions } from '../../src/options.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A folder that looks like a project root (a lockfile stops the config search there). */
function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-jest-unit-'))
  dirs.push(dir)
  writeFileSync(path.join(dir, 'package-lock.json'), '{}')
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

describe('readProjectOptions', () => {
  test('should read testEnvironmentOptions.pgtestbed and treat a missing one as no options', () => {
    expect(readProjectOptions({ rootDir: '/app' })).toEqual({ rootDir: '/app', options: {} })
    expect(
      readProjectOptions({
        rootDir: '/app',
        testEnvironmentOptions: { pgtestbed: { migrations: './drizzle', pool: undefined } },
      }),
    ).toEqual({ rootDir: '/app', options: { migrations: './drizzle' } })
  })

  test('should reject an unknown key with INVALID_OPTIONS, naming it, the guess and the project', () => {
    expect(() =>
      readProjectOptions({
        rootDir: '/app',
        testEnvironmentOptions: { pgtestbed: { migration: './db' } },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(
          /invalid pgtestbed config in testEnvironmentOptions\.pgtestbed of the Jest project in \/app:\n {2}- unknown key `migration` \(did you mean `migrations`\?\)/,
        ),
      }),
    )
  })

  test('should reject options that are not an object', () => {
    expect(() =>
      readProjectOptions({ rootDir: '/app', testEnvironmentOptions: { pgtestbed: './db' } }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: 'testEnvironmentOptions.pgtestbed of the Jest project in /app must be an object',
      }),
    )
  })
})

describe('projectKey', () => {
  test('should depend on the root folder and the options that shape the template, in any key order', () => {
    const a = projectKey({ rootDir: '/app', options: { migrations: './db', pool: 2 } })
    expect(projectKey({ rootDir: '/app', options: { pool: 2, migrations: './db' } })).toBe(a)
    expect(projectKey({ rootDir: '/other', options: { migrations: './db', pool: 2 } })).not.toBe(a)
    expect(projectKey({ rootDir: '/app', options: { migrations: './db2', pool: 2 } })).not.toBe(a)
  })

  test('should ignore envVar and keepOnFailure, which only change what a file sees', () => {
    const a = projectKey({ rootDir: '/app', options: { migrations: './db' } })
    expect(
      projectKey({
        rootDir: '/app',
        options: { migrations: './db', envVar: 'X', keepOnFailure: false },
      }),
    ).toBe(a)
  })
})

describe('resolveOptions', () => {
  test('should default to DATABASE_URL, keep-on-failure and lint, relative to rootDir', async () => {
    const root = project()
    const resolved = await resolveOptions({ rootDir: root, options: {} })
    expect(resolved.envVar).toBe('DATABASE_URL')
    expect(resolved.keepOnFailure).toBe(true)
    expect(resolved.configFile).toBeUndefined()
    expect(resolved.testbed.cwd).toBe(root)
    expect(typeof resolved.testbed.lint).toBe('function')
  })

  test('should merge pgtestbed.config.json under the Jest options, key by key', async () => {
    const root = project({
      'pgtestbed.config.json': JSON.stringify({
        migrations: './db/migrations',
        envVar: 'FROM_FILE',
        keepOnFailure: false,
        lint: false,
      }),
    })
    const resolved = await resolveOptions({ rootDir: root, options: { envVar: 'FROM_JEST' } })
    expect(resolved.configFile).toBe(path.join(root, 'pgtestbed.config.json'))
    expect(resolved.envVar).toBe('FROM_JEST')
    expect(resolved.keepOnFailure).toBe(false)
    expect(resolved.testbed.migrations).toBe(path.join(root, 'db/migrations'))
    expect(resolved.testbed.lint).toBeUndefined()
  })

  test('should accept the embedded storage options in the Jest options and a config file', async () => {
    const root = project({
      'pgtestbed.config.json': JSON.stringify({ embedded: { storage: 'disk', memoryDir: 'shm' } }),
    })
    const fromFile = await resolveOptions({ rootDir: root, options: {} })
    expect(fromFile.testbed.embedded).toEqual({
      storage: 'disk',
      memoryDir: path.join(root, 'shm'),
    })
    const options = readProjectOptions({
      rootDir: root,
      testEnvironmentOptions: { pgtestbed: { embedded: { storage: 'memory' } } },
    })
    expect((await resolveOptions(options)).testbed.embedded).toEqual({ storage: 'memory' })
    expect(() =>
      readProjectOptions({
        rootDir: root,
        testEnvironmentOptions: { pgtestbed: { embedded: { storage: 'ram' } } },
      }),
    ).toThrow('`embedded.storage` must be "auto" | "memory" | "disk", got "ram"')
  })

  test('should cache lint findings in the lint folder of the cache folder', async () => {
    const root = project()
    mkdirSync(path.join(root, 'migrations'))
    writeFileSync(
      path.join(root, 'migrations', '00001_users.sql'),
      '-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- +goose Down\nDROP TABLE users;\n',
    )
    const resolved = await resolveOptions({ rootDir: root, options: { cacheDir: './.cache' } })
    const set = await discoverMigrations({ cwd: root })
    expect(await resolved.testbed.lint!(set)).toEqual([])
    expect(readdirSync(path.join(root, '.cache', 'lint'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{16}-[0-9a-f]{8}\.json$/),
    ])
  })

  test('should tell server choices apart, so a worker reuses only the same server', async () => {
    const root = project()
    const url = await resolveOptions({ rootDir: root, options: { url: 'postgres://a/postgres' } })
    const same = await resolveOptions({ rootDir: root, options: { url: 'postgres://a/postgres' } })
    const other = await resolveOptions({ rootDir: root, options: { server: 'embedded' } })
    expect(same.serverKey).toBe(url.serverKey)
    expect(other.serverKey).not.toBe(url.serverKey)
  })
})
