// Figure (e) on the embedded server: a fresh CI machine's first run (no data folder yet) for 1,000
// generated goose migrations (relationalGooseFile), with the template cache folder
// (`templateCache`) holding the cluster snapshot against without it. Without: initdb, start, apply
// the 1,000 migrations. With: copy the snapshot in, start (WAL replay), the template is there. Both
// are `startTestbed` until ready (pool 0, no sweep), each round on a new cache folder whose server
// and data are removed afterwards. The snapshot is saved once by a first run, timed apart. Prints
// medians, the ratio (target: without / with ≥ 5) and the machine's load; never fails on them.
// Usage: node src/template-snapshot.bench.mjs [count] [rounds]. Uses the built core
// (`pnpm --filter @pgtestbed/core build`).
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { startTestbed, stopEmbeddedServer } from '@pgtestbed/core'
import { loadLine, median, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const count = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 3)

const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-snapshot-'))
// The embedded server's OS user (when run as root) must reach the cache folders.
await chmod(dir, 0o755)
const migrations = path.join(dir, 'migrations')
const templateCache = path.join(dir, 'template-cache')
const warnings = []
const reporter = {
  step: () => ({ update() {}, done() {}, fail: (reason) => warnings.push(reason) }),
  info() {},
  warn: (message) => warnings.push(message),
}

/** One first run on a machine with no data folder: ms until ready, and the template's status. */
async function firstRun(extra) {
  const cacheDir = await mkdtemp(path.join(dir, 'server-'))
  await chmod(cacheDir, 0o755)
  const started = performance.now()
  const testbed = await startTestbed({
    server: 'embedded',
    cacheDir,
    migrations,
    cwd: dir,
    env: {},
    pool: 0,
    sweep: false,
    reporter,
    ...extra,
  })
  const ms = performance.now() - started
  const status = testbed.template.status
  await testbed.close()
  await stopEmbeddedServer({ cacheDir, force: true, removeData: true })
  await rm(cacheDir, { recursive: true, force: true })
  return { ms, status }
}

try {
  await mkdir(migrations)
  await writeGooseFiles(migrations, count, 'bench', relationalGooseFile)
  const save = await firstRun({ templateCache })
  if (!(await readdir(templateCache)).some((name) => name.startsWith('embedded-'))) {
    throw new Error(`the first run saved no snapshot: ${warnings.join('; ')}`)
  }
  const without = []
  const withCache = []
  for (let round = 0; round < rounds; round++) {
    const built = await firstRun({})
    if (built.status !== 'built') throw new Error(`expected a build, got ${built.status}`)
    without.push(built.ms)
    const seeded = await firstRun({ templateCache })
    if (seeded.status !== 'restored') throw new Error(`expected a restore, got ${seeded.status}`)
    withCache.push(seeded.ms)
  }
  const w = median(without)
  const c = median(withCache)
  console.log(
    `(e) embedded server, first run on a new machine, ${count} goose migrations, ${rounds} rounds (medians)`,
  )
  console.log(`  initdb + start + apply the migrations:      ${w.toFixed(0)} ms`)
  console.log(`  snapshot from templateCache + start:        ${c.toFixed(0)} ms`)
  console.log(`  first run that builds and saves (once):     ${save.ms.toFixed(0)} ms`)
  console.log(`  ratio without / with the snapshot:          ${(w / c).toFixed(2)}× (target ≥ 5×)`)
  console.log(loadLine())
} finally {
  await rm(dir, { recursive: true, force: true })
}
