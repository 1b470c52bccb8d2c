// How long a test run waits before its first test file can get a database, for a generated
// 100-migration goose schema: `startTestbed` measured inside a fresh Node process each time (as
// a test runner's main process calls it; importing @pgtestbed/core is printed apart):
// - warm start: template reused, server up (the embedded server kept running by this process,
//   and, when a URL is given, PGTESTBED_BENCH_URL or PGTESTBED_URL); then the embedded server
//   stopped in between (its data and template kept, so the start includes starting it);
// - cold embedded start: an empty cache folder (initdb + start), and the whole first run with the
//   template build.
// Beside them: what a run without a template waits for (create a database, apply the 100
// migrations) and the floor (one connection and a query). Prints medians and the load average;
// never fails on them. Uses the built package (`pnpm --filter @pgtestbed/core build`).
// Usage: node src/start.bench.mjs [starts] (default 7)
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import {
  applyMigrations,
  discoverMigrations,
  projectKeyFor,
  resolveServer,
  startTestbed,
  stopEmbeddedServer,
} from '@pgtestbed/core'
import pg from 'pg'
import { dropProject, median, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const starts = Number(process.argv[2] ?? 7)
const MIGRATIONS = 100
const urlServer = process.env.PGTESTBED_BENCH_URL ?? process.env.PGTESTBED_URL
const here = path.dirname(fileURLToPath(import.meta.url))

const ms = (v) => `${Math.round(v)} ms`
const load = () =>
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`

// Runs in a fresh process: imports core, starts the testbed with the options in argv as a
// plugin does, closes it.
const child = `
const t0 = performance.now()
const { startTestbed } = await import('@pgtestbed/core')
const { resolveRunnerOptions } = await import('@pgtestbed/core/runner')
const t1 = performance.now()
// As a test runner's plugin does: options resolved (lint on, with its cache), then the start.
const { cwd, ...options } = JSON.parse(process.argv[1])
const resolved = await resolveRunnerOptions({ root: cwd, options, where: 'bench', configFile: false })
const testbed = await startTestbed(resolved.testbed)
const t2 = performance.now()
await testbed.close()
console.log(JSON.stringify({ importMs: t1 - t0, startMs: t2 - t1, status: testbed.template.status }))
`

/** `startTestbed` in a fresh process: how long it took, and how long importing core took. */
function freshStart(options) {
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', child, JSON.stringify(options)],
    { cwd: here, encoding: 'utf8' },
  )
  if (result.status !== 0) throw new Error(`start failed: ${result.stderr}`)
  return JSON.parse(result.stdout.trim().split('\n').at(-1))
}

function series(options, count) {
  freshStart(options) // warm-up (file caches, the lint cache)
  const runs = Array.from({ length: count }, () => freshStart(options))
  return {
    start: median(runs.map((r) => r.startMs)),
    min: Math.min(...runs.map((r) => r.startMs)),
    import: median(runs.map((r) => r.importMs)),
    status: runs[0].status,
  }
}

const line = (label, r) =>
  `${label}: startTestbed median ${ms(r.start)} (min ${ms(r.min)}; template ${r.status}; importing core ${ms(r.import)})`

/** The alternatives on a server: create + migrate a database per run, and one connection + query. */
async function alternatives(adminUrl, set) {
  const naive = []
  const floor = []
  for (let i = 0; i < 3; i++) {
    const name = `pgtestbed_bench_start_${randomBytes(6).toString('hex')}`
    const t0 = performance.now()
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    await admin.query('SELECT 1')
    floor.push(performance.now() - t0)
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    await applyMigrations(client, set)
    await client.end()
    naive.push(performance.now() - t0)
    await admin.query(`DROP DATABASE ${name}`)
    await admin.end()
  }
  return `instead: create a database + apply ${MIGRATIONS} migrations ${ms(median(naive))}; floor (connect + SELECT 1) ${ms(median(floor))}`
}

const cwd = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-start-bench-'))
await mkdir(path.join(cwd, 'migrations'))
await writeGooseFiles(path.join(cwd, 'migrations'), MIGRATIONS, 'bench', relationalGooseFile)
const set = await discoverMigrations({ migrations: 'migrations', cwd, env: {} })
const cacheDirs = []
const newCacheDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-start-bench-cache-'))
  // The embedded server runs as an unprivileged OS user when started by root: it must reach it.
  await chmod(dir, 0o755)
  cacheDirs.push(dir)
  return dir
}

try {
  console.log(
    `# start benchmark: ${MIGRATIONS} goose migrations, ${starts} fresh processes per series, ${os.cpus().length} CPUs, ${load()}`,
  )
  // Cold: a new cache folder each time.
  const cold = []
  const coldRun = []
  for (let i = 0; i < 3; i++) {
    const cacheDir = await newCacheDir()
    const t0 = performance.now()
    const server = await resolveServer({ server: 'embedded', cacheDir, cwd })
    cold.push(performance.now() - t0)
    await server.release()
    await stopEmbeddedServer({ cacheDir, force: true, removeData: true })
    const fresh = await newCacheDir()
    coldRun.push(freshStart({ server: 'embedded', cacheDir: fresh, cwd, sweep: false }).startMs)
    await stopEmbeddedServer({ cacheDir: fresh, force: true, removeData: true })
  }
  console.log(`\n### embedded server, cold (empty cache folder), ${load()}`)
  console.log(
    `cold embedded start (initdb + start), median of 3: ${ms(median(cold))} (target ≤ 700 ms); whole first run with the template build: ${ms(median(coldRun))}`,
  )

  const cacheDir = await newCacheDir()
  const embedded = { server: 'embedded', cacheDir, cwd }
  const holder = await startTestbed({ ...embedded, pool: 0, sweep: false })
  try {
    console.log(`\n### embedded server, warm (template built), ${load()}`)
    console.log(line('server up', series(embedded, starts)), '(target ≤ 100 ms)')
    console.log(await alternatives(holder.info.adminUrl, set))
  } finally {
    await holder.close()
  }
  console.log(line('server stopped in between', series(embedded, starts)))

  if (urlServer) {
    const options = { server: 'url', url: urlServer, cwd }
    try {
      console.log(`\n### server at PGTESTBED_URL (${new URL(urlServer).host}), ${load()}`)
      console.log(line('warm', series(options, starts)), '(target ≤ 100 ms)')
      console.log(await alternatives(urlServer, set))
    } finally {
      await dropProject(urlServer, projectKeyFor(path.join(cwd, 'migrations')))
    }
  } else
    console.log('\n(set PGTESTBED_URL or PGTESTBED_BENCH_URL to also measure a server you run)')
} finally {
  for (const dir of cacheDirs) {
    await stopEmbeddedServer({ cacheDir: dir, force: true, removeData: true }).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  await rm(cwd, { recursive: true, force: true })
}
