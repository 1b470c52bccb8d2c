import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { DiagnosticsError, isPgtestbedError, type PgtestbedError } from '../../src/errors.js'
import { isProcessAlive } from '../../src/internal/process-info.js'
import { checkManifest, writeManifest } from '../../src/migrations/files/manifest.js'
import { resolveMigrator } from '../../src/migrations/migrator/resolve.js'
import type { MigrateOptions } from '../../src/migrations/migrator/types.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { projectKeyFor } from '../../src/templates/naming.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import type { TestbedOptions } from '../../src/testbed/types.js'
import { dropProjectDatabases, projectDatabases } from '../helpers/goose-project.js'
import { publicTables, queryRows, TEST_SERVER_URL } from '../helpers/pg.js'

/** The `pg` package core depends on, for the scripts the commands run. */
const PG_MODULE = import.meta.resolve('pg')

/**
 * A migration script: creates each table named in `tables.txt` through DATABASE_URL and records
 * the libpq variables it was given, as a real tool's migrate command would.
 */
const MIGRATE_SCRIPT = `import pg from ${JSON.stringify(PG_MODULE)}
import { readFileSync } from 'node:fs'
const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
await client.connect()
for (const table of readFileSync('db/tables.txt', 'utf8').split(/\\s+/).filter(Boolean)) {
  await client.query(\`CREATE TABLE \${table} (id int)\`)
}
await client.query('CREATE TABLE seen_env (name text, value text)')
for (const name of ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE']) {
  await client.query('INSERT INTO seen_env VALUES ($1, $2)', [name, process.env[name] ?? ''])
}
await client.end()
`

interface Project {
  cwd: string
  project: string
  write(name: string, text: string): Promise<void>
  options(migrate: Partial<MigrateOptions>, extra?: TestbedOptions): TestbedOptions
}

const projects: Project[] = []
afterEach(async () => {
  for (const p of projects.splice(0)) {
    await dropProjectDatabases(p.project)
    await rm(p.cwd, { recursive: true, force: true })
  }
})
afterAll(() => closeAdminPools())

/** A throw-away project folder with a migrate script and its inputs, unique to one test. */
async function project(): Promise<Project> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-migrate-'))
  const write = async (name: string, text: string) => {
    await mkdir(path.dirname(path.join(cwd, name)), { recursive: true })
    await writeFile(path.join(cwd, name), text)
  }
  await write('migrate.mjs', MIGRATE_SCRIPT)
  // A marker, so no two tests (or runs) share a fingerprint.
  await write('db/tables.txt', 'users\n')
  await write('db/marker.txt', randomBytes(8).toString('hex'))
  const p: Project = {
    cwd,
    project: projectKeyFor(cwd),
    write,
    options: (migrate, extra = {}) => ({
      server: 'url',
      url: TEST_SERVER_URL,
      cwd,
      sweep: false,
      migrate: { command: 'node migrate.mjs', inputs: ['migrate.mjs', 'db/**'], ...migrate },
      ...extra,
    }),
  }
  projects.push(p)
  return p
}

async function failure(promise: Promise<unknown>): Promise<PgtestbedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isPgtestbedError(error)) throw new Error(`expected a pgtestbed error, got ${String(error)}`)
  return error
}

/** The build databases and templates left of a project: none after a failed build. */
const leftovers = async (p: Project) => (await projectDatabases(p.project)).map((d) => d.kind)

describe('migrate: { command }', () => {
  test('should build the template with the command, pointing DATABASE_URL and PG* at the build database', async () => {
    const p = await project()
    const testbed = await startTestbed(p.options({}))
    try {
      expect(testbed.template.status).toBe('built')
      expect(testbed.info).toMatchObject({ format: 'command', migrations: 0 })
      expect(testbed.summary).toContain(
        '· migrate command `node migrate.mjs` · 3 input files · template',
      )
      await using db = await cloneDatabase(testbed.info, { label: 'command.test.ts' })
      expect(await publicTables(db.url)).toEqual(['seen_env', 'users'])
      const env = await queryRows<{ name: string; value: string }>(
        db.url,
        'SELECT name, value FROM seen_env ORDER BY name',
      )
      const server = new URL(TEST_SERVER_URL)
      expect(Object.fromEntries(env.map((r) => [r.name, r.value]))).toEqual({
        PGDATABASE: expect.stringMatching(/^pgtestbed_bld_[0-9a-f]+_[0-9a-f]+$/),
        PGHOST: server.hostname,
        PGPORT: server.port || '5432',
        PGUSER: decodeURIComponent(server.username),
      })
    } finally {
      await testbed.close()
    }
  })

  test('should reuse the template until an input or the command changes', async () => {
    const p = await project()
    const names: string[] = []
    const run = async (options: TestbedOptions, status: 'built' | 'reused') => {
      const testbed = await startTestbed(options)
      try {
        expect(testbed.template.status).toBe(status)
        names.push(testbed.template.name)
      } finally {
        await testbed.close()
      }
    }
    await run(p.options({}), 'built')
    await run(p.options({}), 'reused')
    await p.write('db/tables.txt', 'users\nposts\n')
    await run(p.options({}), 'built')
    await run(p.options({ command: 'node ./migrate.mjs' }), 'built')
    await run(p.options({ command: 'node ./migrate.mjs' }), 'reused')
    expect(new Set(names).size).toBe(3)
    expect(names[0]).toBe(names[1])
    expect(names[3]).toBe(names[4])
  })

  test('should fail with TEMPLATE_BUILD_FAILED naming the command, its exit code and its last lines, leaving nothing', async () => {
    const p = await project()
    await p.write(
      'fail.mjs',
      'for (let i = 1; i <= 50; i++) console.log(`line ${i}`)\nconsole.error(\'error: relation "users" already exists\')\nprocess.exit(3)\n',
    )
    const error = await failure(startTestbed(p.options({ command: 'node fail.mjs' })))
    expect(error.code).toBe('TEMPLATE_BUILD_FAILED')
    expect(error.message).toContain('migrate command `node fail.mjs` failed with exit code 3')
    expect(error.message).toContain(`(in ${p.cwd}`)
    expect(error.message).toContain('its last 30 lines of output:')
    expect(error.message).toContain('  | error: relation "users" already exists')
    expect(error.message).toContain('  | line 50')
    expect(error.message).not.toContain('  | line 20\n')
    expect(await leftovers(p)).toEqual([])
  })

  test('should kill the whole process group of a command that runs past timeoutMs, leaving nothing', async () => {
    const p = await project()
    // The command starts a grandchild that would outlive a plain kill of the shell.
    await p.write(
      'hang.mjs',
      "import { spawn } from 'node:child_process'\nimport { writeFileSync } from 'node:fs'\nconst child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })\nwriteFileSync('grandchild.pid', String(child.pid))\nconsole.log('waiting for a lock')\nsetInterval(() => {}, 1000)\n",
    )
    const started = performance.now()
    const error = await failure(
      startTestbed(p.options({ command: 'node hang.mjs', timeoutMs: 1_500 })),
    )
    expect(performance.now() - started).toBeLessThan(30_000)
    expect(error.code).toBe('TEMPLATE_BUILD_FAILED')
    expect(error.message).toContain(
      'migrate command `node hang.mjs` ran longer than migrate.timeoutMs (1.5 s), so pgtestbed stopped it and its whole process group',
    )
    expect(error.message).toContain('  | waiting for a lock')
    const grandchild = Number(readFileSync(path.join(p.cwd, 'grandchild.pid'), 'utf8'))
    // The group got SIGTERM; the kernel may take a moment to reap it.
    for (let i = 0; i < 50 && isProcessAlive(grandchild); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(isProcessAlive(grandchild)).toBe(false)
    expect(await leftovers(p)).toEqual([])
  })

  test('should call a command that changed nothing in the build database an error naming DATABASE_URL', async () => {
    const p = await project()
    // Connects to the maintenance database instead, as a tool with its own URL in a config would.
    await p.write(
      'elsewhere.mjs',
      `import pg from ${JSON.stringify(PG_MODULE)}\nconst client = new pg.Client({ connectionString: ${JSON.stringify(TEST_SERVER_URL)} })\nawait client.connect()\nawait client.query('SELECT 1')\nawait client.end()\n`,
    )
    const error = await failure(startTestbed(p.options({ command: 'node elsewhere.mjs' })))
    expect(error.code).toBe('TEMPLATE_BUILD_FAILED')
    expect(error.message).toMatch(
      /migrate command `node elsewhere\.mjs` finished without error but changed nothing in the build database pgtestbed_bld_\w+ \(postgres:\/\/.*\): it did not use DATABASE_URL/,
    )
    expect(error.fix).toContain('process.env.DATABASE_URL')
    expect(await leftovers(p)).toEqual([])
  })

  test('should stop before any database work when an input pattern matches no file', async () => {
    const p = await project()
    const error = await failure(
      startTestbed(p.options({ inputs: ['migrate.mjs', 'migrations/**'] })),
    )
    expect(error).toBeInstanceOf(DiagnosticsError)
    expect(error.code).toBe('VALIDATION_FAILED')
    const diagnostics = (error as DiagnosticsError).diagnostics
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        'MIGRATE_INPUT_NOT_FOUND',
        `migrate.inputs pattern "migrations/**" matches no file in ${p.cwd}`,
      ],
    ])
    expect(await leftovers(p)).toEqual([])
  })

  test('should reject a migrate option without inputs, or with a command and a function', async () => {
    const p = await project()
    const noInputs = await failure(
      startTestbed({
        ...p.options({}),
        migrate: { command: 'node migrate.mjs' } as MigrateOptions,
      }),
    )
    expect(noInputs.code).toBe('INVALID_OPTIONS')
    expect(noInputs.message).toContain('`inputs` must list the files that shape the schema')
    const both = await failure(startTestbed(p.options({ run: () => {} })))
    expect(both.message).toContain('give `command` or `run`, not both')
    const verify = await failure(startTestbed(p.options({}, { verifyDown: true })))
    expect(verify.message).toContain('verifyDown needs Down sections')
  })
})

describe('migrate: { run }', () => {
  test('should build the template in process with the url it gets, and rebuild when the function changes', async () => {
    const p = await project()
    const seen: string[] = []
    const run = async ({ url, signal }: { url: string; signal: AbortSignal }) => {
      seen.push(url)
      expect(signal.aborted).toBe(false)
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query('CREATE TABLE made_in_process (id int)')
      await client.end()
    }
    const options = p.options({ command: undefined, run })
    const testbed = await startTestbed(options)
    try {
      expect(testbed.info.format).toBe('function')
      expect(testbed.summary).toContain('· migrate.run · 3 input files · template')
      expect(seen).toHaveLength(1)
      expect(new URL(seen[0]!).pathname).toMatch(/^\/pgtestbed_bld_/)
      await using db = await cloneDatabase(testbed.info, { label: 'run.test.ts' })
      expect(await publicTables(db.url)).toEqual(['made_in_process'])
    } finally {
      await testbed.close()
    }
    const again = await startTestbed(options)
    await again.close()
    expect(again.template.status).toBe('reused')
    const other = async ({ url }: { url: string }) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query('CREATE TABLE other (id int)')
      await client.end()
    }
    const changed = await startTestbed(p.options({ command: undefined, run: other }))
    await changed.close()
    expect(changed.template.status).toBe('built')
  })

  test('should report a function that throws or outlives timeoutMs, aborting its signal, leaving nothing', async () => {
    const p = await project()
    const thrown = await failure(
      startTestbed(
        p.options({
          command: undefined,
          run: () => {
            throw new Error('Migration "002_posts" failed: syntax error at or near "CREAT"')
          },
        }),
      ),
    )
    expect(thrown.code).toBe('TEMPLATE_BUILD_FAILED')
    expect(thrown.message).toBe(
      'migrate.run failed: Migration "002_posts" failed: syntax error at or near "CREAT"',
    )
    let aborted = false
    const slow = await failure(
      startTestbed(
        p.options({
          command: undefined,
          timeoutMs: 300,
          run: ({ signal }) =>
            new Promise<void>((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true
                resolve()
              })
            }),
        }),
      ),
    )
    expect(slow.message).toContain('migrate.run did not finish within migrate.timeoutMs (0.3 s)')
    expect(aborted).toBe(true)
    expect(await leftovers(p)).toEqual([])
  })
})

describe('the manifest of migrate inputs', () => {
  test('should list every input file and name the one that was edited, added or removed', async () => {
    const p = await project()
    const migrate: MigrateOptions = {
      command: 'node migrate.mjs',
      inputs: ['migrate.mjs', 'db/**'],
    }
    const set = await resolveMigrator(migrate, p.cwd)
    const { file } = await writeManifest(set)
    expect(file).toBe(path.join(p.cwd, 'pgtestbed.sum'))
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines.slice(1).map((l) => l.split(' ')[0])).toEqual([
      'db/marker.txt',
      'db/tables.txt',
      'migrate.mjs',
    ])
    expect(await checkManifest(await resolveMigrator(migrate, p.cwd))).toEqual([])

    await p.write('db/tables.txt', 'users\ncomments\n')
    await p.write('db/extra.sql', 'select 1;\n')
    await rm(path.join(p.cwd, 'db/marker.txt'))
    const diagnostics = await checkManifest(await resolveMigrator(migrate, p.cwd))
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        'MANIFEST_MISSING_FILE',
        'db/marker.txt is listed in pgtestbed.sum but is no longer among the migrate inputs',
      ],
      [
        'MANIFEST_UNLISTED',
        'db/extra.sql is a migrate input that pgtestbed.sum does not list (it is new since the manifest was written)',
      ],
      ['MANIFEST_EDITED', 'db/tables.txt changed since pgtestbed.sum was written'],
    ])
    // The testbed checks it before building anything.
    const error = await failure(startTestbed(p.options({})))
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(existsSync(path.join(p.cwd, 'pgtestbed.sum'))).toBe(true)
    expect(await leftovers(p)).toEqual([])
  })
})
