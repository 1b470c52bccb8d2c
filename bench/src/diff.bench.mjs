// `pgtestbed diff --url` on a 200-table schema against building the template it compares with:
// "checking a live database for drift costs less than a tenth of a template build". Each round
// builds a fresh template (a marker makes its fingerprint new) from 200 generated goose
// migrations (tables with foreign keys, checks, indexes, comments, trigger functions), then
// diffs it twice against a live database that has the same migrations applied plus a few changes
// by hand (so the report and the migration origins are computed too): first (the template is
// cloned and read, and its schema kept in the cache folder), then again (as every later diff and
// drift check of that template: only the live database is read). Prints medians and the ratios;
// never fails on them. Uses the built package (`pnpm --filter @pgtestbed/core build`).
// Usage: node src/diff.bench.mjs [count] [rounds]; server from PGTESTBED_BENCH_URL, else
// PGTESTBED_URL, else postgres://postgres@127.0.0.1:5432/postgres.
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import {
  applyMigrations,
  diffTemplate,
  discoverMigrations,
  projectKeyFor,
  startTestbed,
} from '@pgtestbed/core'
import { median, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const count = Number(process.argv[2] ?? 200)
const rounds = Number(process.argv[3] ?? 5)
const serverUrl =
  process.env.PGTESTBED_BENCH_URL ??
  process.env.PGTESTBED_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres'

function urlFor(name) {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

const admin = new pg.Client({ connectionString: serverUrl })
await admin.connect()
const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-diff-'))
const migrations = path.join(dir, 'migrations')
const live = `pgtestbed_bench_${randomBytes(5).toString('hex')}`
const testbeds = []

/** The live database: the same migrations, then three changes by hand. */
async function createLiveDatabase() {
  await admin.query(`CREATE DATABASE "${live}"`)
  const client = new pg.Client({ connectionString: urlFor(live) })
  await client.connect()
  try {
    await applyMigrations(client, await discoverMigrations({ migrations }))
    await client.query(`ALTER TABLE bench_table_7 ADD COLUMN note text;
      ALTER TABLE bench_table_50 ALTER COLUMN status SET DEFAULT 'done';
      CREATE INDEX bench_table_120_created ON bench_table_120 (created_at)`)
  } finally {
    await client.end()
  }
}

try {
  await mkdir(migrations)
  await writeGooseFiles(migrations, count, 'bench', relationalGooseFile)
  const first = path.join(migrations, `${'1'.padStart(5, '0')}_bench_1.sql`)
  const firstText = await readFile(first, 'utf8')
  await createLiveDatabase()

  let differences = 0
  let objects = 0
  const diff = async (testbed) => {
    const started = performance.now()
    const result = await diffTemplate({
      source: testbed.info,
      set: testbed.set,
      target: { url: urlFor(live) },
      cwd: dir,
      cacheDir: path.join(dir, 'cache'),
    })
    differences = result.diff.groups.reduce((n, g) => n + g.differences.length, 0)
    objects = result.expected.objects.size
    return performance.now() - started
  }

  const builds = []
  const cold = []
  const warm = []
  for (let round = 0; round < rounds; round++) {
    await writeFile(first, `-- round ${randomBytes(6).toString('hex')}\n${firstText}`)
    const testbed = await startTestbed({ server: 'url', url: serverUrl, migrations, sweep: false })
    testbeds.push(testbed)
    if (testbed.template.status !== 'built') throw new Error('the template was not built anew')
    builds.push(testbed.template.ms)
    cold.push(await diff(testbed))
    warm.push(await diff(testbed))
  }
  const b = median(builds)
  const c = median(cold)
  const w = median(warm)
  console.log(
    `${count} goose migrations, ${objects} schema objects, ${differences} differences found, ${rounds} rounds (medians)`,
  )
  console.log(`  build the template:                             ${b.toFixed(0)} ms`)
  console.log(
    `  diff --url, first against this template:        ${c.toFixed(0)} ms  (clone and read it, read the live database, compare; ratio ${(c / b).toFixed(3)})`,
  )
  console.log(
    `  diff --url, template's schema already read:     ${w.toFixed(0)} ms  (read the live database, compare; ratio ${(w / b).toFixed(3)}, target < 0.1)`,
  )
} finally {
  for (const testbed of testbeds) await testbed.close().catch(() => {})
  // Every template of this run: their records name the project of this temp folder.
  const { rows } = await admin.query(
    `SELECT datname FROM pg_database
      WHERE datname LIKE 'pgtestbed\\_%' AND shobj_description(oid, 'pg_database') LIKE $1`,
    [`pgtestbed:%"project":"${projectKeyFor(migrations)}"%`],
  )
  for (const { datname } of rows) {
    await admin.query(`ALTER DATABASE "${datname}" IS_TEMPLATE false`).catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {})
  }
  await admin.query(`DROP DATABASE IF EXISTS "${live}" WITH (FORCE)`).catch(() => {})
  await admin.end()
  await rm(dir, { recursive: true, force: true })
}
