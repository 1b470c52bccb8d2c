// Figure (d): clones under concurrency. A 100-migration goose template (relationalGooseFile);
// cloneDatabase (no pool) by 1 cloner, then by 8 concurrent cloners (like 8 test workers starting
// files together), each clone dropped right after it is made, for each CREATE DATABASE strategy.
// Prints clone p50/p95 per series and the ratio p95 with 8 cloners / p50 with 1 (target ≤ 4), and
// the machine's load; never fails on them. Runs on the embedded server (data in memory: a temp
// cache folder, stopped and deleted at the end) and, when a URL is given (PGTESTBED_BENCH_URL,
// else PGTESTBED_URL), on that server too. Uses the built package.
// Usage: node src/concurrency.bench.mjs [clones per cloner] (default 5)
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { cloneDatabase, projectKeyFor, startTestbed, stopEmbeddedServer } from '@pgtestbed/core'
import {
  loadLine,
  dropProject,
  percentile,
  relationalGooseFile,
  writeGooseFiles,
} from './shared.mjs'

const perCloner = Number(process.argv[2] ?? 5)
const CLONERS = 8
const urlServer = process.env.PGTESTBED_BENCH_URL ?? process.env.PGTESTBED_URL
const fmt = (v) => `${v.toFixed(0)} ms`

/** `cloners` loops, each cloning and dropping `count` times; returns every clone's latency. */
async function series(info, cloners, count) {
  const times = []
  await Promise.all(
    Array.from({ length: cloners }, async (_, worker) => {
      for (let i = 0; i < count; i++) {
        const t = performance.now()
        const db = await cloneDatabase(info, { label: `bench ${worker}.${i}` })
        times.push(performance.now() - t)
        await db.drop()
      }
    }),
  )
  return times
}

async function benchServer(label, options, cwd) {
  const testbed = await startTestbed({ ...options, cwd, sweep: false })
  try {
    const auto = testbed.info.cloneStrategy
    console.log(`\n### ${label}: cloneStrategy 'auto' → ${auto}`)
    for (const strategy of ['wal_log', 'file_copy']) {
      const info = { ...testbed.info, pool: false, cloneStrategy: strategy }
      await series(info, 1, 2) // warm-up
      const one = await series(info, 1, perCloner * 2)
      const many = await series(info, CLONERS, perCloner)
      const ratio = percentile(many, 95) / percentile(one, 50)
      console.log(
        `  (d) ${strategy.padEnd(9)} 1 cloner: p50 ${fmt(percentile(one, 50))} p95 ${fmt(percentile(one, 95))}` +
          ` | ${CLONERS} cloners: p50 ${fmt(percentile(many, 50))} p95 ${fmt(percentile(many, 95))}` +
          ` | p95(${CLONERS}) / p50(1) ${ratio.toFixed(1)} (target ≤ 4)${strategy === auto ? '  ← auto' : ''}`,
      )
    }
    console.log(loadLine())
  } finally {
    await testbed.close()
  }
}

const cwd = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-concurrency-bench-'))
const migrationsDir = path.join(cwd, 'migrations')
await mkdir(migrationsDir)
await writeGooseFiles(migrationsDir, 100, 'bench', relationalGooseFile)
const project = projectKeyFor(migrationsDir)
const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-concurrency-bench-cache-'))
await chmod(cacheDir, 0o755) // the embedded server's OS user must reach it
try {
  console.log(
    `# (d) clones under concurrency: 100 migrations, ${os.cpus().length} CPUs, ${perCloner * 2} clones alone, ${CLONERS}×${perCloner} concurrently`,
  )
  const storages = (process.env.BENCH_STORAGES ?? 'memory').split(',').filter(Boolean)
  for (const storage of storages) {
    await benchServer(
      `embedded server, data ${storage === 'memory' ? 'in memory' : 'on disk'}`,
      { server: 'embedded', cacheDir, embedded: { storage } },
      cwd,
    )
    await stopEmbeddedServer({ cacheDir, force: true, removeData: true })
  }
  if (urlServer) {
    await benchServer(
      `server at PGTESTBED_URL (${new URL(urlServer).host})`,
      { server: 'url', url: urlServer },
      cwd,
    )
  }
} finally {
  if (urlServer) await dropProject(urlServer, project).catch(() => {})
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => {})
  await rm(cacheDir, { recursive: true, force: true })
  await rm(cwd, { recursive: true, force: true })
}
