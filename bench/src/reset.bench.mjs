// Bringing a worker's database back to the template state between test files, where a runner
// shares modules across files (Vitest's isolate: false, vmThreads, vmForks) and a pg.Pool created
// at import keeps its URL. Candidates, per reset of a 100-migration goose schema after a file
// wrote rows through such a pool:
// - re-clone in place: what `openTestFile` does with scope 'worker' (end the worker's sessions,
//   drop, clone the template, rename the clone to the worker's name), measured through it;
// - truncate: TRUNCATE every table but the version table, RESTART IDENTITY CASCADE (also resets
//   the sequences; it cannot restore seed rows or anything a test changed outside the tables).
// Runs on the embedded server (temp cache folder, stopped and deleted at the end) and, when a URL
// is given (PGTESTBED_BENCH_URL, else PGTESTBED_URL), on that server too. Prints p50/p95 and the
// load average; never fails on them. Uses the built package (`pnpm --filter @pgtestbed/core build`).
// Usage: node src/reset.bench.mjs [resets] (default 30)
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { startTestbed, stopEmbeddedServer } from '@pgtestbed/core'
import { openTestFile } from '@pgtestbed/core/worker'
import { percentile, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const resets = Number(process.argv[2] ?? 30)
const MIGRATIONS = 100
const urlServer = process.env.PGTESTBED_BENCH_URL ?? process.env.PGTESTBED_URL
const ms = (v) => `${v.toFixed(0)} ms`
const stats = (values) => `p50 ${ms(percentile(values, 50))}  p95 ${ms(percentile(values, 95))}`
const load = () =>
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`

/** What a test file does: a few writes through the app's module-level pool. */
async function writeRows(pool, n) {
  for (let t = 1; t <= 5; t++) {
    await pool.query(
      `INSERT INTO bench_table_${t} (owner_id) SELECT g FROM generate_series(1, 50) g`,
    )
  }
  await pool.query(`INSERT INTO bench_table_1 (owner_id) VALUES ($1)`, [n])
}

function appPool(url) {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  // Sessions ended by a reset come back as errors on idle clients; the pool reconnects.
  pool.on('error', () => {})
  return pool
}

async function reclone(info, cwd) {
  const context = {
    ...info,
    root: cwd,
    projectName: '',
    envVar: 'DATABASE_URL',
    keepOnFailure: false,
    keptTtlMs: 1,
    scope: 'worker',
  }
  const open = () =>
    openTestFile(context, { runner: 'bench', testPath: path.join(cwd, 'a.test.ts'), env: {} })
  let file = await open()
  const pool = appPool(file.url)
  const times = []
  try {
    for (let i = 0; i < resets; i++) {
      await writeRows(pool, i)
      const t0 = performance.now()
      await file.release(false)
      file = await open()
      times.push(performance.now() - t0)
    }
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM bench_table_1')
    if (rows[0].n !== 0) throw new Error('re-clone left rows behind')
  } finally {
    await pool.end()
    await file.release(false)
  }
  return times
}

async function truncate(info, cwd) {
  const context = {
    ...info,
    root: cwd,
    projectName: '',
    envVar: 'DATABASE_URL',
    keepOnFailure: false,
    keptTtlMs: 1,
  }
  const file = await openTestFile(context, {
    runner: 'bench',
    testPath: path.join(cwd, 'b.test.ts'),
    env: {},
  })
  const pool = appPool(file.url)
  const times = []
  try {
    const { rows: tables } = await pool.query(
      `SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'goose_db_version'`,
    )
    const sql = `TRUNCATE ${tables.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`
    for (let i = 0; i < resets; i++) {
      await writeRows(pool, i)
      const t0 = performance.now()
      await pool.query(sql)
      times.push(performance.now() - t0)
    }
  } finally {
    await pool.end()
    await file.release(false)
  }
  return times
}

async function bench(label, options, cwd) {
  const testbed = await startTestbed({ ...options, migrations: 'migrations', cwd, sweep: false })
  try {
    const { storage } = testbed.info.server
    console.log(
      `\n### ${label}: PostgreSQL ${testbed.info.server.majorVersion}, fsync ${storage.fsync ? 'on' : 'off'}, ${storage.medium}; ${load()}`,
    )
    console.log(`re-clone in place: ${stats(await reclone(testbed.info, cwd))}`)
    console.log(`truncate + reset sequences: ${stats(await truncate(testbed.info, cwd))}`)
  } finally {
    await testbed.close()
    if (options.server === 'url') await dropTemplate(options.url, testbed.info.template)
  }
}

/** The template this benchmark built on a server it does not own. */
async function dropTemplate(adminUrl, template) {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`ALTER DATABASE "${template}" IS_TEMPLATE false`)
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)
  } finally {
    await admin.end()
  }
}

const cwd = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-reset-bench-'))
await mkdir(path.join(cwd, 'migrations'))
await writeGooseFiles(path.join(cwd, 'migrations'), MIGRATIONS, 'bench', relationalGooseFile)
const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-reset-bench-cache-'))
try {
  console.log(
    `# reset benchmark: ${MIGRATIONS} goose migrations, ${resets} resets per candidate, ${os.cpus().length} CPUs`,
  )
  await chmod(cacheDir, 0o755)
  await bench('embedded server', { server: 'embedded', cacheDir }, cwd)
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true })
  if (urlServer)
    await bench(`server at ${new URL(urlServer).host}`, { server: 'url', url: urlServer }, cwd)
} finally {
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => {})
  await rm(cacheDir, { recursive: true, force: true })
  await rm(cwd, { recursive: true, force: true })
}
