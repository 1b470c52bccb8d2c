import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { resolveServer, stopEmbeddedServer, type EmbeddedPostgresServer } from '@pgtestbed/core'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'

/**
 * The workspace example's CI check: `turbo run test` runs the api (Vitest) and worker (Jest)
 * packages at once, against ONE embedded server in a cache folder of this check's own, and
 * this asserts what a user relies on: one template build, a distinct database per test file,
 * both suites green, and nothing left behind. Run it after `pnpm build` (turbo runs with --only).
 */
const example = fileURLToPath(new URL('..', import.meta.url))
const root = path.resolve(example, '../..')
const turbo = path.join(root, 'node_modules', '.bin', 'turbo')

let cacheDir: string
let reportDir: string

beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-example-cache-'))
  reportDir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-example-report-'))
  // The embedded server runs as its own OS user when the check runs as root: let it in.
  await chmod(cacheDir, 0o755)
  await chmod(reportDir, 0o777)
})

afterAll(async () => {
  // Never leave a server running (an assertion may fail before the server was checked), nor its
  // data: in memory (/dev/shm, the default on Linux) it is not inside the cache folder.
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => [])
  await rm(cacheDir, { recursive: true, force: true })
  await rm(reportDir, { recursive: true, force: true })
})

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

it('should run api and worker at once on one embedded server, build the template once, and leave nothing behind', async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGTESTBED_CACHE_DIR: cacheDir,
    PGTESTBED_EXAMPLE_REPORT_DIR: reportDir,
    TURBO_TELEMETRY_DISABLED: '1',
    TURBO_NO_UPDATE_NOTIFIER: '1',
    // turbo runs each package's script through the package manager: the repo's own pnpm.
    PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
  }
  // The embedded server is the point: no URL may redirect the packages elsewhere.
  delete env.PGTESTBED_URL
  delete env.DATABASE_URL
  const { code, output } = await run(
    turbo,
    ['run', 'test', '--filter=./examples/workspace/packages/*', '--only', '--output-logs=full'],
    env,
  )
  const plain = stripVTControlCharacters(output)
  expect(
    plain,
    'turbo must find both packages: list examples/workspace/packages/* in pnpm-workspace.yaml',
  ).toContain('Running test in 2 packages')
  expect(code, plain).toBe(0)
  expect(plain).toMatch(/@pgtestbed-example\/workspace-api:test: .*3 passed/)
  expect(plain).toMatch(/@pgtestbed-example\/workspace-worker:test: .*Tests: +3 passed, 3 total/)

  // One template build: one package built it, the other reused it (after waiting on the lock or not).
  const summaries = [
    ...plain.matchAll(
      /^(@pgtestbed-example\/workspace-\w+):test: .*embedded PostgreSQL \d+ · goose · 4 migrations · template (pgtestbed_tpl_[0-9a-f]+) (built|reused)/gm,
    ),
  ]
  expect(summaries.map((m) => m[1]).sort(), plain).toEqual([
    '@pgtestbed-example/workspace-api',
    '@pgtestbed-example/workspace-worker',
  ])
  expect(summaries.map((m) => m[3]).sort()).toEqual(['built', 'reused'])
  const template = summaries[0]![2]!
  expect(summaries[1]![2]).toBe(template)

  // No name collisions: six test files, six databases, all clones of that template.
  const lines = (await readFile(path.join(reportDir, 'databases.txt'), 'utf8')).trim().split('\n')
  const databases = lines.map((line) => line.split(' ')[1]!)
  expect(lines).toHaveLength(6)
  expect(new Set(databases).size).toBe(6)
  for (const name of databases) expect(name).toMatch(/^pgtestbed_(c|p)_/)

  // Nothing left behind: the last package to finish stopped the server (this call starts it
  // again), and only the template remains, kept on purpose for the next run.
  const server = await resolveServer({ server: 'embedded', cacheDir })
  try {
    expect(server.kind).toBe('embedded')
    expect((server as EmbeddedPostgresServer).started).toBe(true)
    const client = new pg.Client({ connectionString: server.adminUrl })
    await client.connect()
    try {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'pgtestbed\\_%' ORDER BY 1`,
      )
      expect(rows.map((r) => r.datname)).toEqual([
        expect.stringMatching(new RegExp(`^${template}`)),
      ])
    } finally {
      await client.end()
    }
  } finally {
    await server.release()
  }
  const stopped = await stopEmbeddedServer({ cacheDir })
  expect(stopped.every((s) => !s.stopped)).toBe(true)
})
