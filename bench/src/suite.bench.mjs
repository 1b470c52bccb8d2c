// What isolation costs a whole test suite: one `vitest run` of 40 test files over a generated
// 100-migration goose schema, with the @pgtestbed/vitest plugin at its defaults (a database per
// file, the clone pool sized from Vitest's workers), against the same suite on one shared,
// already-migrated database and no isolation at all (what a project without pgtestbed does once
// its migrations ran), on the same server: the embedded one (kept running by this process, so the
// runs are warm: server up, template built) and, when a URL is given (PGTESTBED_BENCH_URL, else
// PGTESTBED_URL), that server too. Rounds alternate the two, so load changes hit both; prints the
// medians, their ratio and the load average; never fails on them. Uses the built packages
// (`pnpm --filter @pgtestbed/core --filter @pgtestbed/vitest build`).
// Usage: node src/suite.bench.mjs [rounds] (default 3) [files] (default 40)
import { spawnSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cloneDatabase, projectKeyFor, startTestbed, stopEmbeddedServer } from '@pgtestbed/core'
import { dropProject, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const rounds = Number(process.argv[2] ?? 3)
const files = Number(process.argv[3] ?? 40)
const MIGRATIONS = 100
const urlServer = process.env.PGTESTBED_BENCH_URL ?? process.env.PGTESTBED_URL

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const plugin = pathToFileURL(path.join(repo, 'packages/vitest/dist/index.js')).href
const vitestBin = path.join(repo, 'packages/vitest/node_modules/vitest/vitest.mjs')
const pgEntry = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href

const load = () =>
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
const s = (v) => `${(v / 1000).toFixed(1)} s`
/** The median, averaging the two middle values of an even count (rounds are few). */
function middle(values) {
  const sorted = [...values].sort((x, y) => x - y)
  const m = sorted.length / 2
  return Number.isInteger(m) ? (sorted[m - 1] + sorted[m]) / 2 : sorted[Math.floor(m)]
}

/**
 * A test file doing what an application's tests do: a few tests that insert rows into tables of
 * the schema and read them back. Row counts are filtered by a per-file owner id, so the files
 * pass on a shared database too.
 */
function testFile(n) {
  const tables = [1, 20, 40, 60, 80, 100].map((t) => `bench_table_${((t + n) % MIGRATIONS) + 1}`)
  return `import { afterAll, expect, test } from 'vitest'
import pg from '${pgEntry}'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 })
afterAll(() => pool.end())
// Unique per file and run: the shared database keeps the rows of earlier runs.
const owner = ${n} * 1e12 + Math.floor(Math.random() * 1e12)

${tables
  .map(
    (table) => `test('${table}: insert and read back', async () => {
  const { rows } = await pool.query(
    "INSERT INTO ${table} (owner_id, payload) SELECT $1, jsonb_build_object('i', i) FROM generate_series(1, 20) i RETURNING id",
    [owner],
  )
  expect(rows).toHaveLength(20)
  await pool.query("UPDATE ${table} SET status = 'done' WHERE owner_id = $1 AND id % 2 = 0", [owner])
  const count = await pool.query("SELECT count(*)::int AS n FROM ${table} WHERE owner_id = $1 AND status = 'new'", [owner])
  expect(count.rows[0].n).toBe(10)
})
`,
  )
  .join('\n')}`
}

/** Writes the two Vitest configs: the plugin at its defaults, and a shared database URL. */
async function writeProject(dir, cacheDir, server) {
  await mkdir(path.join(dir, 'migrations'), { recursive: true })
  await mkdir(path.join(dir, 'test'), { recursive: true })
  await writeGooseFiles(path.join(dir, 'migrations'), MIGRATIONS, 'bench', relationalGooseFile)
  for (let n = 1; n <= files; n++) {
    await writeFile(path.join(dir, 'test', `file${n}.test.mjs`), testFile(n))
  }
  const serverOptions =
    server === 'url'
      ? `server: 'url', url: ${JSON.stringify(urlServer)}`
      : `cacheDir: ${JSON.stringify(cacheDir)}`
  await writeFile(
    path.join(dir, 'pgtestbed.vitest.config.mjs'),
    `import { pgtestbed } from '${plugin}'
export default {
  plugins: [pgtestbed({ migrations: './migrations', ${serverOptions} })],
  test: { include: ['test/*.test.mjs'] },
}
`,
  )
  await writeFile(
    path.join(dir, 'shared.vitest.config.mjs'),
    `export default {
  test: { include: ['test/*.test.mjs'], env: { DATABASE_URL: process.env.BENCH_SHARED_URL } },
}
`,
  )
}

/** One `vitest run` with a config; returns its wall time (the whole process). */
function vitestRun(dir, config, env = {}) {
  const t0 = performance.now()
  const result = spawnSync(process.execPath, [vitestBin, 'run', '--config', config], {
    cwd: dir,
    env: { ...process.env, ...env, CI: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
  })
  const ms = performance.now() - t0
  if (result.status !== 0) {
    throw new Error(`vitest run --config ${config} failed:\n${result.stdout}\n${result.stderr}`)
  }
  const lines = `${result.stdout}\n${result.stderr}`.split('\n')
  const summary = lines.find((line) => line.includes('template pgtestbed_tpl_'))
  const duration = lines.find((line) => line.includes('Duration'))
  if (process.env.SUITE_BENCH_VERBOSE) console.log(result.stdout, result.stderr)
  return { ms, summary: summary?.trim(), duration: duration?.trim() }
}

async function benchServer(label, server, cacheDir) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-suite-bench-'))
  await writeProject(dir, cacheDir, server)
  const options =
    server === 'url' ? { server: 'url', url: urlServer } : { server: 'embedded', cacheDir }
  // Holds the server (and builds the template) for the whole comparison: every run is warm.
  const holder = await startTestbed({ ...options, cwd: dir, pool: 0, sweep: false })
  const shared = await cloneDatabase(holder.info, { label: 'the shared database' })
  try {
    console.log(`\n### ${label}`)
    console.log(`${holder.summary}; ${load()}`)
    // Warm-up: Vitest's own caches, and the plugin's lint cache.
    vitestRun(dir, 'pgtestbed.vitest.config.mjs')
    vitestRun(dir, 'shared.vitest.config.mjs', { BENCH_SHARED_URL: shared.url })
    const isolated = []
    const plain = []
    const ratios = []
    let summary
    for (let i = 0; i < rounds; i++) {
      const a = vitestRun(dir, 'pgtestbed.vitest.config.mjs')
      isolated.push(a.ms)
      summary = a.summary
      plain.push(vitestRun(dir, 'shared.vitest.config.mjs', { BENCH_SHARED_URL: shared.url }).ms)
      const ratio = a.ms / plain.at(-1)
      ratios.push(ratio)
      console.log(
        `  round ${i + 1}: pgtestbed ${s(a.ms)}, shared database ${s(plain.at(-1))} → ${ratio.toFixed(2)}×; ${load()}`,
      )
    }
    console.log(`  pgtestbed's summary line: ${summary}`)
    const [a, b] = [middle(isolated), middle(plain)]
    console.log(
      `${files} files, whole \`vitest run\` (medians of ${rounds} alternating rounds): pgtestbed defaults ${s(a)} vs one shared migrated database (no isolation) ${s(b)}; per-round ratio median ${middle(ratios).toFixed(2)}× (target ≤ 1.15); ${load()}`,
    )
  } finally {
    await shared.drop().catch(() => {})
    await dropProject(holder.info.adminUrl, projectKeyFor(path.join(dir, 'migrations')))
    await holder.close()
    await rm(dir, { recursive: true, force: true })
  }
}

console.log(
  `# suite benchmark: ${files} Vitest files over ${MIGRATIONS} goose migrations, ${rounds} rounds, ${os.cpus().length} CPUs, ${load()}`,
)
const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-suite-bench-cache-'))
// The embedded server runs as an unprivileged OS user when started by root: it must reach the folder.
await chmod(cacheDir, 0o755)
try {
  await benchServer('embedded server (the default), data in memory', 'embedded', cacheDir)
  if (urlServer) await benchServer(`server at PGTESTBED_URL (${new URL(urlServer).host})`, 'url')
  else console.log('\n(set PGTESTBED_URL or PGTESTBED_BENCH_URL to also measure a server you run)')
} finally {
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true }).catch(() => {})
  await rm(cacheDir, { recursive: true, force: true })
}
