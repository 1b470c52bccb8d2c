// Figure (e): restoring a template from the template cache (`templateCache`) against building it
// by applying its migrations, for 1,000 generated goose migrations (relationalGooseFile).
//
// Per round, on the same server: a cold build (ensureTemplate, migrations applied; the entry is
// saved to the cache folder the first time, timed apart as "save"), then the template is dropped
// and ensureTemplate runs again with the cache folder: it restores the entry (one simple-query
// round trip of pg_dump's plain SQL) instead of applying. Both include CREATE DATABASE, the seal
// and the rename. Prints medians, the ratio (target: build / restore ≥ 5) and the machine's load;
// never fails on them. Saving needs a pg_dump of the server's major version (Debian layout,
// PGTESTBED_PG_DUMP or PATH); without one it says so and stops.
// Usage: node src/template-cache.bench.mjs [count] [rounds]; server from PGTESTBED_BENCH_URL,
// else PGTESTBED_URL, else postgres://postgres@127.0.0.1:5432/postgres.
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { computeFingerprint, discoverMigrations, ensureTemplate } from '@pgtestbed/core'
import { loadLine, median, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const count = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 3)
const serverUrl =
  process.env.PGTESTBED_BENCH_URL ??
  process.env.PGTESTBED_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres'

const admin = new pg.Client({ connectionString: serverUrl })
await admin.connect()
const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-cache-'))
const cache = path.join(dir, 'cache')
const migrations = path.join(dir, 'migrations')
let template

async function dropTemplate() {
  if (!template) return
  await admin.query(`ALTER DATABASE "${template}" IS_TEMPLATE false`).catch(() => {})
  await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)
}

const warnings = []
const reporter = {
  step: () => ({ update() {}, done() {}, fail() {} }),
  info() {},
  warn: (message) => warnings.push(message),
}

try {
  await mkdir(migrations)
  await writeGooseFiles(migrations, count, 'bench', relationalGooseFile)
  const set = await discoverMigrations({ migrations })
  const major = Math.floor(
    Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num) / 10_000,
  )
  const fingerprint = await computeFingerprint({ set, serverMajor: major })
  const base = { adminUrl: serverUrl, set, fingerprint, project: 'bench', reporter }
  template = fingerprint.templateName

  const build = []
  const restore = []
  let saveMs
  for (let round = 0; round < rounds; round++) {
    let t = performance.now()
    const built = await ensureTemplate(base)
    build.push(performance.now() - t)
    if (built.status !== 'built') throw new Error(`expected a build, got ${built.status}`)
    if (saveMs === undefined) {
      // Saving is paid once per fingerprint, by the first machine: timed on its own.
      t = performance.now()
      await ensureTemplate({ ...base, templateCache: cache })
      saveMs = performance.now() - t
      if (warnings.length > 0) {
        console.log(`(e) cannot save the template: ${warnings.join('; ')}`)
        process.exit(0)
      }
    }
    await dropTemplate()
    t = performance.now()
    const restored = await ensureTemplate({ ...base, templateCache: cache })
    restore.push(performance.now() - t)
    if (restored.status !== 'restored') {
      throw new Error(`expected a restore, got ${restored.status}: ${warnings.join('; ')}`)
    }
    await dropTemplate()
  }
  const entry = await stat(path.join(cache, `pgtestbed-template-${fingerprint.hash}.sql`))
  const b = median(build)
  const r = median(restore)
  console.log(
    `(e) ${count} goose migrations, PostgreSQL ${major}, ${rounds} rounds (medians; cache entry ${(entry.size / 1e6).toFixed(1)} MB)`,
  )
  console.log(`  build, applying the migrations:  ${b.toFixed(0)} ms`)
  console.log(`  restore from templateCache:      ${r.toFixed(0)} ms`)
  console.log(`  save to templateCache (once):    ${saveMs.toFixed(0)} ms (pg_dump of a copy)`)
  console.log(`  ratio build / restore:           ${(b / r).toFixed(2)}× (target ≥ 5×)`)
  console.log(loadLine())
} finally {
  await dropTemplate().catch(() => {})
  await admin.end()
  await rm(dir, { recursive: true, force: true })
}
