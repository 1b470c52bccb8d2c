import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { defineConfig } from '../../src/config/define.js'
import { loadConfig } from '../../src/config/load.js'
import { isPgtestbedError, type PgtestbedError } from '../../src/errors.js'
import { createLintHook } from '../../src/lint/hook.js'

const fixtures = path.resolve(import.meta.dirname, '../fixtures/config')

async function failure(promise: Promise<unknown>): Promise<PgtestbedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isPgtestbedError(error)) throw new Error(`expected a PgtestbedError, got ${String(error)}`)
  return error
}

const temps: string[] = []
/** A temp folder that is a workspace root of its own (so the search stops there). */
function tempWorkspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-config-'))
  temps.push(dir)
  writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), 'packages: []\n')
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('loadConfig', () => {
  it('should load a TypeScript config and make its paths absolute relative to its folder', async () => {
    const dir = path.join(fixtures, 'ts')
    const { config, file } = await loadConfig({ cwd: dir })
    expect(file).toBe(path.join(dir, 'pgtestbed.config.ts'))
    const posix = (p: string) => p.split(path.sep).join('/')
    expect(config).toEqual({
      migrations: path.join(dir, 'db/migrations'),
      manifest: path.join(dir, 'db/pgtestbed.sum'),
      seeds: [`${posix(dir)}/seeds/*.sql`, `!${posix(dir)}/seeds/skip.sql`],
      cacheDir: path.join(fixtures, '.cache'),
      format: 'goose',
      pool: 2,
      lint: { rules: { LINT_LOCK_TIMEOUT_MISSING: 'off' } },
      embedded: { port: 54329, settings: { work_mem: '8MB' } },
      sweep: { keepTemplates: 2 },
      envVar: 'TEST_DATABASE_URL',
    })
  })

  it('should load a JSON config found in a parent folder, resolving paths against the file', async () => {
    const { config, file } = await loadConfig({ cwd: path.join(fixtures, 'json/packages/api') })
    expect(file).toBe(path.join(fixtures, 'json/pgtestbed.config.json'))
    expect(config).toEqual({
      migrations: path.join(fixtures, 'json/migrations'),
      manifest: 'auto',
      seeds: path.join(fixtures, 'json/seed.sql').split(path.sep).join('/'),
      verifyDown: true,
    })
  })

  it('should load an explicit file relative to cwd', async () => {
    const { config, file } = await loadConfig({ cwd: fixtures, file: 'ts/pgtestbed.config.json' })
    expect(file).toBe(path.join(fixtures, 'ts/pgtestbed.config.json'))
    expect(config.migrations).toBe(path.join(fixtures, 'ts/ignored-because-ts-comes-first'))
  })

  it('should return an empty config when there is no file up to the workspace root', async () => {
    const root = tempWorkspace({ 'packages/api/.keep': '' })
    // A config above the workspace root is never picked up.
    expect(await loadConfig({ cwd: path.join(root, 'packages/api') })).toEqual({ config: {} })
  })

  it('should fail with CONFIG_LOAD_FAILED, the file and the cause on a TypeScript syntax error', async () => {
    const root = tempWorkspace({
      'pgtestbed.config.ts': "export default {\n  migrations: './m',\n}}\n",
    })
    const error = await failure(loadConfig({ cwd: root }))
    expect(error.code).toBe('CONFIG_LOAD_FAILED')
    expect(error.message).toMatch(
      new RegExp(`^could not load ${path.join(root, 'pgtestbed.config.ts')}: `),
    )
    expect(error.fix).toBe(
      'fix the error in pgtestbed.config.ts (the cause below has the details), or delete the file to use the defaults',
    )
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('should name the line and column of a JSON syntax error', async () => {
    const error = await failure(loadConfig({ cwd: path.join(fixtures, 'json-syntax') }))
    expect(error.code).toBe('CONFIG_LOAD_FAILED')
    expect(error.message).toContain(path.join(fixtures, 'json-syntax/pgtestbed.config.json'))
    expect(error.message).toMatch(/line 3/)
  })

  it('should fail with CONFIG_LOAD_FAILED when the config throws while loading', async () => {
    const error = await failure(loadConfig({ cwd: path.join(fixtures, 'throws') }))
    expect(error.code).toBe('CONFIG_LOAD_FAILED')
    expect(error.message).toBe(
      `could not load ${path.join(fixtures, 'throws/pgtestbed.config.cjs')}: PGTESTBED_SECRET is not set`,
    )
  })

  it('should list every unknown key and wrong type with the accepted values', async () => {
    const error = await failure(loadConfig({ cwd: path.join(fixtures, 'unknown-key') }))
    expect(error.code).toBe('INVALID_OPTIONS')
    const file = path.join(fixtures, 'unknown-key/pgtestbed.config.mjs')
    expect(error.message.split('\n')).toEqual([
      `invalid pgtestbed config in ${file}:`,
      expect.stringMatching(
        /^ {2}- unknown key `migration` \(did you mean `migrations`\?\); accepted keys: migrations, format, /,
      ),
      '  - `pool` must be a whole number ≥ 0, got "3"',
      '  - `server` must be "auto" | "url" | "embedded" | "docker", got "remote"',
      '  - unknown key `docker.imag` (did you mean `docker.image`?); accepted keys: maxConnections, settings, startTimeoutMs, image',
    ])
    expect(error.fix).toBe(`correct these keys in ${file}`)
  })

  it('should reject an unknown lint rule in the config', async () => {
    const error = await failure(loadConfig({ cwd: path.join(fixtures, 'bad-lint') }))
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toContain(
      '`lint.rules.LINT_NOPE` is not a lint rule; known rules: LINT_PARSE_FAILED,',
    )
  })

  it('should reject a config that is not an object, and an empty file', async () => {
    const array = await failure(loadConfig({ cwd: path.join(fixtures, 'not-object') }))
    expect(array.code).toBe('INVALID_OPTIONS')
    expect(array.message).toBe(
      `${path.join(fixtures, 'not-object/pgtestbed.config.js')} must export a config object, got an array`,
    )
    const root = tempWorkspace({ 'pgtestbed.config.json': '  \n' })
    const empty = await failure(loadConfig({ cwd: root }))
    expect(empty.message).toBe(
      `${path.join(root, 'pgtestbed.config.json')} must export a config object, got nothing`,
    )
  })

  it('should fail clearly for an explicit file that does not exist or has an unknown type', async () => {
    const missing = await failure(loadConfig({ cwd: fixtures, file: 'nope/pgtestbed.config.ts' }))
    expect(missing.code).toBe('CONFIG_LOAD_FAILED')
    expect(missing.message).toBe(
      `the config file ${path.join(fixtures, 'nope/pgtestbed.config.ts')} does not exist`,
    )
    const root = tempWorkspace({ 'pgtestbed.yaml': 'migrations: x\n' })
    const yaml = await failure(loadConfig({ cwd: root, file: 'pgtestbed.yaml' }))
    expect(yaml.message).toContain('unsupported file type ".yaml"')
  })
})

describe('defineConfig and createLintHook', () => {
  it('should return the config unchanged', () => {
    const config = { migrations: './db', pool: 1 }
    expect(defineConfig(config)).toBe(config)
  })

  it('should give no lint hook for false and fail early on an unknown rule', () => {
    expect(createLintHook(false)).toBeUndefined()
    expect(typeof createLintHook(undefined)).toBe('function')
    expect(() => createLintHook({ rules: { LINT_NOPE: 'off' } as never })).toThrow(
      /lint\.rules\.LINT_NOPE is not a lint rule/,
    )
  })
})
