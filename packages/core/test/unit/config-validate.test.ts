import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { PgtestbedConfig, SweepConfig } from '../../src/config/types.js'
import { loadConfig } from '../../src/config/load.js'
import { validateConfig } from '../../src/config/validate.js'
import { isPgtestbedError, type PgtestbedError } from '../../src/errors.js'
import type { LintOptions } from '../../src/lint/types.js'
import type { DockerOptions } from '../../src/servers/docker.js'
import type { EmbeddedOptions } from '../../src/servers/embedded/server.js'
import { EMBEDDED_STORAGES, requestedStorage } from '../../src/servers/embedded/storage.js'

// Every option a config file may hold, at every level. `Required<…>` makes the compiler (tsc runs
// over the tests) demand a value for an option added to TestbedOptions, EmbeddedOptions,
// DockerOptions, the sweep or lint options; the tests below then fail until the validator
// accepts it and checks it.
const embedded: Required<EmbeddedOptions> = {
  majorVersion: 17,
  port: 54329,
  maxConnections: 50,
  settings: { work_mem: '8MB', jit: false },
  osUser: 'pgtestbed',
  startTimeoutMs: 30_000,
  storage: 'memory',
  memoryDir: '/dev/shm',
  memoryBudget: '1GB',
}
const docker: Required<DockerOptions> = {
  image: 'postgres:17-alpine',
  maxConnections: 50,
  settings: { work_mem: '8MB' },
  startTimeoutMs: 60_000,
}
const sweep: Required<SweepConfig> = {
  ttlMs: 3_600_000,
  keptTtlMs: 86_400_000,
  keepTemplates: 2,
  templateMinAgeMs: 0,
  limit: 20,
}
const lint: Required<LintOptions> = {
  rules: { LINT_DROP_TABLE: 'error' },
  overrides: [{ files: ['archive'], rules: { LINT_DROP_TABLE: 'off' } }],
}
const EVERY_OPTION: Required<PgtestbedConfig> = {
  migrations: './db/migrations',
  format: 'goose',
  table: 'goose_db_version',
  schema: 'public',
  ignore: ['README.md', 'archive'],
  manifest: 'auto',
  seeds: ['db/seed.sql'],
  verifyDown: true,
  lint,
  pool: 2,
  cloneStrategy: 'file_copy',
  lockTimeoutMs: 60_000,
  baseTemplate: 'template0',
  templateCache: '.pgtestbed-cache',
  sweep,
  server: 'embedded',
  url: 'postgres://postgres@127.0.0.1:5432/postgres',
  cacheDir: '.cache/pgtestbed',
  embedded,
  docker,
  migrate: {
    command: 'npx knex migrate:latest',
    inputs: ['migrations/**', 'knexfile.js'],
    timeoutMs: 60_000,
    cwd: 'db',
  },
  envVar: 'TEST_DATABASE_URL',
  keepOnFailure: false,
  drift: { command: 'npx drizzle-kit push --force', inputs: ['src/db/schema.ts'] },
  diff: { ignore: ['table public.audit_*'] },
}

function problemsOf(value: unknown): string[] {
  try {
    validateConfig(value, 'pgtestbed.config.json')
  } catch (error) {
    if (!isPgtestbedError(error)) throw error
    expect(error.code).toBe('INVALID_OPTIONS')
    return error.message.split('\n').slice(1)
  }
  return []
}

/** Every `a.b` key path of the option list, nested objects included (not `settings`' own keys). */
function keyPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, item]) => {
    const nested =
      typeof item === 'object' && item !== null && !Array.isArray(item) && key !== 'settings'
    return [
      `${prefix}${key}`,
      ...(nested && key !== 'rules'
        ? keyPaths(item as Record<string, unknown>, `${prefix}${key}.`)
        : []),
    ]
  })
}

function withValue(path: string, value: unknown): Record<string, unknown> {
  // `migrate` needs a tool and its inputs together: change one key of a complete one.
  if (path.startsWith('migrate.')) {
    return { migrate: { ...EVERY_OPTION.migrate, [path.slice('migrate.'.length)]: value } }
  }
  const [head, ...rest] = path.split('.')
  if (rest.length === 0) return { [head!]: value }
  return { [head!]: withValue(rest.join('.'), value) }
}

describe('validateConfig and the options it accepts', () => {
  it('should accept every option of TestbedOptions, EmbeddedOptions, DockerOptions, sweep and lint', () => {
    expect(problemsOf(EVERY_OPTION)).toEqual([])
    expect(validateConfig(EVERY_OPTION, 'pgtestbed.config.ts')).toBe(EVERY_OPTION)
  })

  it('should check the value of every option it accepts, naming the key', () => {
    const paths = keyPaths(EVERY_OPTION as unknown as Record<string, unknown>)
    expect(paths).toContain('embedded.storage')
    expect(paths).toContain('embedded.memoryDir')
    for (const key of paths) {
      const problems = problemsOf(withValue(key, null))
      expect(problems, key).toHaveLength(1)
      expect(problems[0], key).toContain(`\`${key}`)
      expect(problems[0], key).not.toContain('unknown key')
    }
  })

  it('should accept the PostgreSQL majors the embedded server runs, and no other', () => {
    expect(problemsOf({ embedded: { majorVersion: 16 } })).toEqual([])
    expect(problemsOf({ embedded: { majorVersion: 15 } })).toEqual([
      '  - `embedded.majorVersion` must be 16 | 17 | 18, got 15',
    ])
  })

  it('should accept exactly the embedded storages the embedded server accepts', () => {
    expect(EMBEDDED_STORAGES).toEqual(['auto', 'memory', 'disk'])
    for (const storage of EMBEDDED_STORAGES) {
      expect(problemsOf({ embedded: { storage } })).toEqual([])
      expect(requestedStorage(storage, {})).toBe(storage)
    }
    expect(
      problemsOf({ embedded: { storage: 'ram', memoryDir: '', memoryBudget: 'lots' } }),
    ).toEqual([
      '  - `embedded.storage` must be "auto" | "memory" | "disk", got "ram"',
      '  - `embedded.memoryDir` must be a non-empty string, got ""',
      "  - `embedded.memoryBudget` must be bytes, a size such as '1GB' or a share such as '25%', got \"lots\"",
    ])
    expect(() => requestedStorage('ram' as never, {})).toThrow(
      `embedded.storage must be 'auto', 'memory' or 'disk', not "ram"`,
    )
  })

  it('should list storage and memoryDir among the accepted embedded keys, with a guess for a typo', () => {
    expect(problemsOf({ embedded: { storrage: 'disk' } })).toEqual([
      '  - unknown key `embedded.storrage` (did you mean `embedded.storage`?); accepted keys: port, maxConnections, settings, osUser, startTimeoutMs, storage, memoryDir, memoryBudget, majorVersion',
    ])
  })
})

describe('embedded.storage and embedded.memoryDir in a config file', () => {
  const temps: string[] = []
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('should load them, with a relative memoryDir made absolute against the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-config-validate-'))
    temps.push(dir)
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), 'packages: []\n')
    writeFileSync(
      path.join(dir, 'pgtestbed.config.json'),
      JSON.stringify({ embedded: { storage: 'disk', memoryDir: 'ram' } }),
    )
    const { config } = await loadConfig({ cwd: dir })
    expect(config.embedded).toEqual({ storage: 'disk', memoryDir: path.join(dir, 'ram') })
  })

  it('should reject a storage the server does not know with INVALID_OPTIONS and the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-config-validate-'))
    temps.push(dir)
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), 'packages: []\n')
    const file = path.join(dir, 'pgtestbed.config.json')
    writeFileSync(file, JSON.stringify({ embedded: { storage: 'tmpfs' } }))
    const error = await loadConfig({ cwd: dir }).then(
      () => undefined,
      (e: unknown) => e as PgtestbedError,
    )
    expect(error?.code).toBe('INVALID_OPTIONS')
    expect(error?.message).toBe(
      `invalid pgtestbed config in ${file}:\n  - \`embedded.storage\` must be "auto" | "memory" | "disk", got "tmpfs"`,
    )
  })
})

describe('drift and diff in a config file', () => {
  const temps: string[] = []
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('should take one target, and name what is wrong otherwise', () => {
    expect(problemsOf({ drift: { file: 'db/schema.sql' } })).toEqual([])
    expect(
      problemsOf({ drift: { command: 'npx drizzle-kit push --force', url: 'postgres://x' } }),
    ).toEqual(['  - `drift` must have exactly one of command, url, file; it has command and url'])
    expect(problemsOf({ drift: { inputs: ['src/schema.ts'] } })).toEqual([
      '  - `drift` must have exactly one of command, url, file; it has none',
    ])
    expect(problemsOf({ drift: { url: 'mysql://x', timeoutMs: 5 } })).toEqual([
      '  - `drift.url` must be a postgres:// URL, got something else',
      '  - `drift.cwd` and `drift.timeoutMs` only go with `drift.command`',
    ])
    expect(problemsOf({ diff: { ignore: ['tabel public.audit_*'], ignored: true } })).toEqual([
      expect.stringContaining(
        '`diff.ignore`: "tabel public.audit_*" starts with "tabel", which is not a kind of object',
      ),
      '  - unknown key `diff.ignored`; accepted keys: ignore',
    ])
  })

  it("should resolve drift's file and inputs against the file's folder, and run its command there", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-config-validate-'))
    temps.push(dir)
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), 'packages: []\n')
    writeFileSync(
      path.join(dir, 'pgtestbed.config.json'),
      JSON.stringify({
        drift: { command: 'npx drizzle-kit push --force', inputs: ['src/**/*.ts'] },
      }),
    )
    expect((await loadConfig({ cwd: dir })).config.drift).toEqual({
      command: 'npx drizzle-kit push --force',
      cwd: dir,
      inputs: [`${dir.split(path.sep).join('/')}/src/**/*.ts`],
    })
    writeFileSync(
      path.join(dir, 'pgtestbed.config.json'),
      JSON.stringify({ drift: { file: 'db/schema.sql' } }),
    )
    expect((await loadConfig({ cwd: dir })).config.drift).toEqual({
      file: path.join(dir, 'db/schema.sql'),
    })
  })
})
