// What a test file waits for to get its own database, for a generated 100-migration goose schema:
// - embedded server, per storage (data folder in memory on /dev/shm, and on disk): cold start
//   (initdb + start) and warm start (server start + template reused);
// - CREATE DATABASE strategy FILE_COPY vs WAL_LOG with 1 and with 4 concurrent cloners (clone,
//   drop, wall time per clone, checkpoints requested), per storage;
// - clone latency p50/p95 through cloneDatabase with the strategy 'auto' picks, without a pool and
//   with a warm pool;
// - the naive alternative: create an empty database and apply all 100 migrations per test file,
//   with the per-file ratio naive / clone.
// Runs on the embedded server (temp cache folders, stopped and deleted with their data at the end)
// and, when a URL is given (PGTESTBED_BENCH_URL, else PGTESTBED_URL), on that server too. Prints
// figures and the load average; never fails on them. Uses the built package
// (`pnpm --filter @pgtestbed/core build`).
// Usage: node src/clone.bench.mjs [clones] (default 40) [storages] (default memory,disk)
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import {
  applyMigrations,
  cloneDatabase,
  discoverMigrations,
  projectKeyFor,
  resolveServer,
  startTestbed,
  stopEmbeddedServer,
} from '@pgtestbed/core'
import { dropProject, median, percentile, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const clones = Number(process.argv[2] ?? 40)
const storages = (process.argv[3] ?? 'memory,disk').split(',')
const MIGRATIONS = 100
const NAIVE_ROUNDS = 5
const urlServer = process.env.PGTESTBED_BENCH_URL ?? process.env.PGTESTBED_URL

const ms = (v) => `${v.toFixed(1)} ms`
const stats = (values) => `p50 ${ms(percentile(values, 50))}  p95 ${ms(percentile(values, 95))}`
const load = () =>
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`

async function timeIt(fn) {
  const t0 = performance.now()
  const value = await fn()
  return [performance.now() - t0, value]
}

/** Clone `clones` databases one after another; returns clone and drop latencies. */
async function cloneSeries(info, count, { waitForPool } = {}) {
  const clone = []
  const drop = []
  let fromPool = 0
  for (let i = 0; i < count; i++) {
    if (waitForPool) await waitForPool()
    const [t, db] = await timeIt(() => cloneDatabase(info, { label: `bench ${i}` }))
    clone.push(t)
    if (db.fromPool) fromPool++
    drop.push((await timeIt(() => db.drop()))[0])
  }
  return { clone, drop, fromPool }
}

/** The naive way: an empty database per test file, then every migration applied to it. */
async function naiveSeries(adminUrl, set) {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  const times = []
  try {
    for (let i = 0; i < NAIVE_ROUNDS; i++) {
      const name = `pgtestbed_bench_naive_${randomBytes(6).toString('hex')}`
      const t0 = performance.now()
      await admin.query(`CREATE DATABASE ${name}`)
      const url = new URL(adminUrl)
      url.pathname = `/${name}`
      const client = new pg.Client({ connectionString: url.toString() })
      await client.connect()
      await applyMigrations(client, set)
      await client.end()
      const created = performance.now() - t0
      const t1 = performance.now()
      await admin.query(`DROP DATABASE ${name}`)
      times.push({ total: created + (performance.now() - t1), create: created })
    }
  } finally {
    await admin.end()
  }
  return times
}

/** Checkpoints requested so far (FILE_COPY and DROP DATABASE request them). */
async function requestedCheckpoints(client) {
  const { rows } = await client.query(
    `SELECT current_setting('server_version_num')::int >= 170000 AS v17`,
  )
  const sql = rows[0].v17
    ? 'SELECT num_requested::int AS n FROM pg_stat_checkpointer'
    : 'SELECT checkpoints_req::int AS n FROM pg_stat_bgwriter'
  return (await client.query(sql)).rows[0].n
}

/**
 * `workers` sessions each run CREATE DATABASE … STRATEGY `strategy` + DROP DATABASE in a loop at
 * the same time (like test workers starting files together): raw SQL, so it measures the server.
 */
async function strategySeries(adminUrl, template, strategy, workers, total, { quiet } = {}) {
  const clients = []
  for (let i = 0; i < workers; i++) {
    const client = new pg.Client({ connectionString: adminUrl })
    await client.connect()
    clients.push(client)
  }
  const clone = []
  const drop = []
  try {
    const before = await requestedCheckpoints(clients[0])
    const t0 = performance.now()
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < Math.ceil(total / workers); i++) {
          const name = `pgtestbed_bench_s_${randomBytes(6).toString('hex')}`
          const t = performance.now()
          await client.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY ${strategy}`)
          clone.push(performance.now() - t)
          const d = performance.now()
          await client.query(`DROP DATABASE ${name}`)
          drop.push(performance.now() - d)
        }
      }),
    )
    const wall = (performance.now() - t0) / clone.length
    const checkpoints = (await requestedCheckpoints(clients[0])) - before
    if (quiet) return
    console.log(
      `  ${strategy.padEnd(9)} ${workers} cloner${workers > 1 ? 's' : ' '}: clone ${stats(clone)}   drop p50 ${ms(median(drop))}` +
        `   wall per clone+drop ${ms(wall)}   checkpoints/clone ${(checkpoints / clone.length).toFixed(1)}`,
    )
  } finally {
    for (const client of clients) await client.end()
  }
}

async function benchServer(label, options, cwd, set) {
  console.log(`\n### ${label}`)
  const [startMs, testbed] = await timeIt(() => startTestbed({ ...options, cwd, sweep: false }))
  const strategy = testbed.info.cloneStrategy ?? '(none)'
  console.log(
    `startTestbed, template ${testbed.template.status} (${MIGRATIONS} migrations): ${ms(startMs)}  (${testbed.summary})`,
  )
  console.log(
    `storage: ${testbed.info.server.storage.medium}, fsync ${testbed.info.server.storage.fsync ? 'on' : 'off'}; cloneStrategy 'auto' → ${strategy}; ${load()}`,
  )
  const results = {}
  try {
    if (testbed.info.majorVersion >= 15) {
      console.log(`CREATE DATABASE strategies (${clones} clones per series, raw SQL):`)
      for (const workers of [1, 4]) {
        for (const s of ['wal_log', 'file_copy']) {
          await strategySeries(testbed.info.adminUrl, testbed.info.template, s, 1, 2, {
            quiet: true,
          })
          await strategySeries(testbed.info.adminUrl, testbed.info.template, s, workers, clones)
        }
      }
    }
    const info = { ...testbed.info, pool: false }
    await cloneSeries(info, 3) // warm-up
    results.auto = await cloneSeries(info, clones)
    console.log(
      `cloneDatabase, ${strategy} (${clones}x, no pool): ${stats(results.auto.clone)}   drop: ${stats(results.auto.drop)}`,
    )
  } finally {
    await testbed.close()
  }

  const pooled = await startTestbed({ ...options, cwd, sweep: false, pool: 4 })
  try {
    await pooled.whenPoolFull()
    const series = await cloneSeries(pooled.info, clones, {
      waitForPool: () => pooled.whenPoolFull(),
    })
    console.log(
      `cloneDatabase from a warm pool (${clones}x, ${series.fromPool} from the pool): ${stats(series.clone)}`,
    )
    results.pool = series
  } finally {
    await pooled.close()
  }

  const server = await resolveServer({ ...options, cwd })
  let naive
  try {
    naive = await naiveSeries(server.adminUrl, set)
  } finally {
    await server.release()
  }
  const naiveTotal = median(naive.map((n) => n.total))
  const cloneTotal = median(results.auto.clone) + median(results.auto.drop)
  console.log(
    `naive per file (create + apply ${MIGRATIONS} + drop, ${NAIVE_ROUNDS}x): median ${ms(naiveTotal)}` +
      ` (create + apply ${ms(median(naive.map((n) => n.create)))})`,
  )
  console.log(
    `per file, ${strategy}: clone + drop ${ms(cloneTotal)} → naive/clone ${(naiveTotal / cloneTotal).toFixed(1)}x;` +
      ` wait before the file runs: ${ms(median(results.auto.clone))} (pool ${ms(median(results.pool.clone))})` +
      ` vs naive ${ms(median(naive.map((n) => n.create)))}`,
  )
}

/** Cold start (initdb + start) and warm starts (server start + template reused) for a storage. */
async function benchStart(storage, embedded, cwd) {
  console.log(`\n### embedded server start, data ${storage === 'memory' ? 'in memory' : 'on disk'}`)
  const [coldMs, cold] = await timeIt(() => resolveServer({ ...embedded, cwd }))
  const where = cold.storage.medium
  await cold.release()
  console.log(`cold start (initdb + start, storage ${where}): ${ms(coldMs)}`)
  // Build the template once so the warm starts below reuse it.
  await (await startTestbed({ ...embedded, cwd, sweep: false })).close()
  const warm = []
  for (let i = 0; i < 5; i++) {
    const [t, testbed] = await timeIt(() => startTestbed({ ...embedded, cwd, sweep: false }))
    warm.push(t)
    await testbed.close() // last one out stops the server: the next start is a real warm start
  }
  console.log(
    `warm start (start server + reuse template), 5x: median ${ms(median(warm))}, min ${ms(Math.min(...warm))}`,
  )
}

const cwd = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-clone-bench-'))
const cacheDirs = []
const migrationsDir = path.join(cwd, 'migrations')
await mkdir(migrationsDir)
await writeGooseFiles(migrationsDir, MIGRATIONS, 'bench', relationalGooseFile)
const project = projectKeyFor(migrationsDir)
const set = await discoverMigrations({ migrations: 'migrations', cwd, env: {} })

try {
  console.log(
    `# clone benchmark: ${MIGRATIONS} goose migrations, ${clones} clones per series, ${os.cpus().length} CPUs, ${load()}`,
  )
  for (const storage of storages) {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-clone-bench-cache-'))
    cacheDirs.push(cacheDir)
    // The embedded server runs as an unprivileged OS user when started by root: it must reach the folder.
    await chmod(cacheDir, 0o755)
    const embedded = { server: 'embedded', cacheDir, embedded: { storage } }
    await benchStart(storage, embedded, cwd)
    await benchServer(
      `embedded server, data ${storage === 'memory' ? 'in memory' : 'on disk'} (fsync off)`,
      embedded,
      cwd,
      set,
    )
    await stopEmbeddedServer({ cacheDir, force: true, removeData: true })
  }
  if (urlServer)
    await benchServer(
      `server at PGTESTBED_URL (${new URL(urlServer).host})`,
      { server: 'url', url: urlServer },
      cwd,
      set,
    )
  else console.log('\n(set PGTESTBED_URL or PGTESTBED_BENCH_URL to also measure a server you run)')
} finally {
  if (urlServer)
    await dropProject(urlServer, project, { alsoNamed: 'pgtestbed\\_bench\\_%' }).catch((e) =>
      console.error(`cleanup: ${e.message}`),
    )
  for (const cacheDir of cacheDirs) {
    await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => {})
    await rm(cacheDir, { recursive: true, force: true })
  }
  await rm(cwd, { recursive: true, force: true })
}
