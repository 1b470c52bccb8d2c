import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { databasesOf } from '../helpers/databases.js'
import { runJest, SERVER_URL } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'

const scratch = useScratch()
const env = { PGTESTBED_URL: SERVER_URL }

describe.each([30, 29] as const)('explicit config form on Jest %i', (lane) => {
  test('should resolve the subpath entries from an ESM config and let Jest options win over pgtestbed.config.json', async () => {
    const { copy } = scratch('explicit', lane, ['db/migrations'])
    const result = await runJest(copy, [], { env })
    expect(result.stderr).toContain('Tests:       1 passed, 1 total')
    expect(result.code).toBe(0)
    // Migrations from the config file's folder, lint off there (no warnings line); the clone came
    // from the pool the file asks for, and closing the testbed dropped the pool's spare databases.
    expect(result.stderr).toMatch(
      /dbmate · 1 migration · template pgtestbed_tpl_[0-9a-f]{8} built · \d+ ms/,
    )
    const left = await databasesOf(path.join(copy.dir, 'db/migrations'))
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })
})

describe.each([
  ['ts-jest', 'jest.ts-jest.config.js'],
  ['@swc/jest', 'jest.swc.config.js'],
])('TypeScript tests through %s', (_name, config) => {
  test('should set DATABASE_URL before the test file imports the app module', async () => {
    const { copy } = scratch('typescript')
    const result = await runJest(copy, ['--config', config, '--maxWorkers=2'], { env })
    expect(result.stderr).toContain('Tests:       4 passed, 4 total')
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/golang-migrate · 1 migration · template pgtestbed_tpl_\w+ built/)
    const left = await databasesOf(path.join(copy.dir, 'migrations'))
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })
})

describe('ES module test files', () => {
  test('should not load without Node’s VM modules flag (Jest’s own limitation)', async () => {
    const { copy } = scratch('esm')
    const result = await runJest(copy, [], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Must use import to load ES Module')
    // Their databases were dropped all the same (no test ran: nothing to keep).
    expect(result.stderr).not.toContain('was kept for debugging')
    const left = await databasesOf(path.join(copy.dir, 'migrations'))
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })

  test('should each get a database of their own with --experimental-vm-modules', async () => {
    const { copy } = scratch('esm')
    const result = await runJest(copy, ['--maxWorkers=2'], {
      env: { ...env, NODE_OPTIONS: '--experimental-vm-modules --no-warnings' },
    })
    expect(result.stderr).toContain('Tests:       2 passed, 2 total')
    expect(result.code).toBe(0)
  })
})
