import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closeAdminPools } from '../../src/templates/admin.js'
import { projectKeyFor } from '../../src/templates/naming.js'
import { codeBlocks, readRepoFile } from '../docs/markdown.js'
import { scratchDatabases } from '../helpers/diff.js'
import { dropProjectDatabases } from '../helpers/goose-project.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { BIN, copyFixture, runCli } from './run-cli.js'

const FIXTURES = fileURLToPath(new URL('../fixtures/diff/', import.meta.url))
/**
 * Where the drizzle project is copied: inside this package, so its drizzle.config.ts and schema
 * resolve drizzle-kit and drizzle-orm from the package's own node_modules, as in a real project.
 */
const WORK = fileURLToPath(
  new URL('../../node_modules/.cache/pgtestbed-diff-tests/', import.meta.url),
)

const env = { PGTESTBED_URL: TEST_SERVER_URL }

/** The arguments after `npx pgtestbed` of a command line, double quotes grouping words. */
function argsOf(line: string): string[] {
  const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!)
  const at = words.indexOf('pgtestbed')
  return words.slice(at + 1)
}

/** The `pgtestbed diff` lines of the root README's "Schema drift" section (hook, then CI step). */
function readmeDiffCommands(): string[][] {
  const readme = readRepoFile('README.md')
  const section = readme.slice(readme.indexOf('## Schema drift'))
  const blocks = codeBlocks('README.md', section).filter((b) => b.marker === 'drift-readme-test')
  expect(blocks.map((b) => b.lang)).toEqual(['sh', 'yaml'])
  return blocks.flatMap((b) =>
    b.body
      .split('\n')
      .filter((line) => line.includes('pgtestbed diff'))
      .map(argsOf),
  )
}

function shell(command: string, cwd: string): void {
  const result = spawnSync(command, { cwd, shell: true, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} failed:\n${result.stdout}${result.stderr}`)
}

describe('pgtestbed diff with the real drizzle-kit (the incident-5 project)', () => {
  let dir: string
  let project: string
  const [hook, ciStep] = readmeDiffCommands()

  beforeAll(async () => {
    dir = path.join(WORK, randomBytes(6).toString('hex'))
    await mkdir(WORK, { recursive: true })
    await cp(path.join(FIXTURES, 'drizzle-shop'), dir, { recursive: true })
    shell('npx --no-install drizzle-kit generate --name shop', dir)
    project = projectKeyFor(path.join(dir, 'drizzle'))
  })
  afterAll(async () => {
    await dropProjectDatabases(project)
    await closeAdminPools()
    await rm(dir, { recursive: true, force: true })
  })

  test("should run the README's hook and CI commands: the migrations drizzle-kit generated build the code's schema", async () => {
    expect(hook).toEqual(['diff', '--command', 'npx drizzle-kit push --force'])
    expect(ciStep).toEqual([...hook!, '--sql'])
    const run = await runCli(hook!, { cwd: dir, env })
    expect(run.stderr).not.toContain('pgtestbed: ')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(
      "pgtestbed diff: no differences between the migrations in drizzle and the code's schema (npx drizzle-kit push --force) (19 objects compared)\n",
    )
    expect(await scratchDatabases(project)).toEqual([])
  })

  test('should name a changed column type, enum value and default when the schema changed without generate', async () => {
    const schema = path.join(dir, 'src/schema.ts')
    const text = await readFile(schema, 'utf8')
    await writeFile(
      schema,
      text
        .replace("name: text('name'),", "name: varchar('name', { length: 100 }),")
        .replace("'shipped']", "'shipped', 'refunded']")
        .replace('.default(0)', '.default(100)')
        .replace('timestamp }', 'timestamp, varchar }'),
    )
    const run = await runCli(hook!, { cwd: dir, env })
    expect(run.code).toBe(1)
    // The README shows this output as it is.
    expect(run.stdout).toBe(await readFile(path.join(FIXTURES, 'drizzle-shop-drift.txt'), 'utf8'))

    const json = await runCli([...ciStep!, '--format', 'json'], { cwd: dir, env })
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout) as { same: boolean; sql: string[]; groups: unknown[] }
    expect(report.same).toBe(false)
    expect(report.groups).toHaveLength(3)
    expect(report.sql).toEqual([
      `ALTER TYPE "public"."order_status" ADD VALUE 'refunded';`,
      `ALTER TABLE "public"."customers" ALTER COLUMN "name" TYPE character varying(100) USING "name"::character varying(100);`,
      `ALTER TABLE "public"."orders" ALTER COLUMN "total_cents" SET DEFAULT 100;`,
    ])
    expect(await scratchDatabases(project)).toEqual([])
  })

  test('should match again once drizzle-kit generate wrote the migration', async () => {
    shell('npx --no-install drizzle-kit generate --name refunds', dir)
    const run = await runCli(hook!, { cwd: dir, env })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('no differences')
  })

  test('should stop the command, drop its scratch database and exit on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'diff', '--command', 'sleep 60'], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    )
    try {
      const deadline = Date.now() + 60_000
      while ((await scratchDatabases(project)).length === 0) {
        if (Date.now() > deadline) throw new Error(`no scratch database appeared:\n${stderr}`)
        await sleep(100)
      }
      // The command runs: give it a moment to have started, then interrupt as a terminal would.
      await sleep(300)
      child.kill('SIGINT')
      const code = await exited
      expect(code === null || code !== 0).toBe(true)
      expect(await scratchDatabases(project)).toEqual([])
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('pgtestbed diff usage', () => {
  test('should exit 2 with a clear message for two targets, or none', async () => {
    const cwd = path.join(FIXTURES, 'drizzle-shop')
    const two = await runCli(['diff', '--url', TEST_SERVER_URL, '--file', 'x.sql'], { cwd, env })
    expect(two.code).toBe(2)
    expect(two.stderr).toContain(
      'pgtestbed: INVALID_OPTIONS pgtestbed diff compares with one target: pass one of --url, --command and --file',
    )
    const none = await runCli(['diff'], { cwd, env })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('nothing to compare the migrations with')
  })

  test('should exit 2 and say why when the command fails', async () => {
    const { dir, remove } = await copyFixture('goose-clean')
    const project = projectKeyFor(path.join(dir, 'migrations'))
    try {
      const run = await runCli(['diff', '--command', 'echo no database here >&2; exit 7'], {
        cwd: dir,
        env,
      })
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(
        'pgtestbed: DIFF_COMMAND_FAILED the command `echo no database here >&2; exit 7`',
      )
      expect(run.stderr).toContain('exited with code 7')
      expect(run.stderr).toContain('  | no database here')
      expect(await scratchDatabases(project)).toEqual([])
    } finally {
      await dropProjectDatabases(project)
      await remove()
    }
  })
})
