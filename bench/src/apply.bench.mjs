// Figure (c): a cold template build against sending the same statements one by one.
//
// 200 generated goose migrations (relationalGooseFile: a table with identity, FK, check, two
// indexes and a comment; every fifth a plpgsql function and trigger). Per round, on fresh
// databases, alternating which side goes first:
// - cold build: ensureTemplate, what a run pays when no template exists (CREATE DATABASE, every
//   Up section with its goose_db_version row, seal and rename). Each transactional migration
//   goes in one simple-query round trip, and the build session commits without waiting for the
//   WAL flush (safe: nothing trusts a build before its seal);
// - applyMigrations alone, on a plain session (the batching without the build's commit setting):
//   what `pgtestbed up` does against a real database;
// - one by one: CREATE DATABASE, then each statement through a pg Client in autocommit, no
//   bookkeeping (what a hand-rolled test setup does);
// - the floor: CREATE DATABASE, then every statement in one simple-query round trip and one
//   transaction without a commit wait or bookkeeping: the server's own work, which no applier
//   can go below.
// Prints medians, the ratios (target for (c): cold build / one by one ≤ 0.5) and the machine's
// load (`uptime`); never fails on them. Uses the built package (`pnpm --filter @pgtestbed/core
// build`). Usage: node src/apply.bench.mjs [count] [rounds]; server from PGTESTBED_BENCH_URL,
// else PGTESTBED_URL, else postgres://postgres@127.0.0.1:5432/postgres; BENCH_SERVER=embedded
// measures a fresh embedded server instead (temp cache folder, stopped and deleted at the end).
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import {
  applyMigrations,
  computeFingerprint,
  discoverMigrations,
  ensureTemplate,
  resolveServer,
  stopEmbeddedServer,
} from '@pgtestbed/core'
import { loadLine, median, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const count = Number(process.argv[2] ?? 200)
const rounds = Number(process.argv[3] ?? 5)
const embeddedCache =
  process.env.BENCH_SERVER === 'embedded'
    ? await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-apply-cache-'))
    : undefined
if (embeddedCache) await chmod(embeddedCache, 0o755) // the server's OS user must reach it
const embedded = embeddedCache
  ? await resolveServer({ server: 'embedded', cacheDir: embeddedCache })
  : undefined
const serverUrl =
  embedded?.adminUrl ??
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
const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-apply-'))
const created = new Set()

async function drop(name) {
  await admin.query(`ALTER DATABASE "${name}" IS_TEMPLATE false`).catch(() => {})
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  created.delete(name)
}

/** Times `fn(url)` on a database it creates itself (CREATE DATABASE inside the timing). */
async function timedWithCreate(fn) {
  const name = `pgtestbed_bench_${randomBytes(5).toString('hex')}`
  const started = performance.now()
  await admin.query(`CREATE DATABASE "${name}"`)
  created.add(name)
  const client = new pg.Client({ connectionString: urlFor(name) })
  try {
    await client.connect()
    await fn(client)
    return performance.now() - started
  } finally {
    await client.end().catch(() => {})
    await drop(name)
  }
}

try {
  await writeGooseFiles(dir, count, 'bench', relationalGooseFile)
  const set = await discoverMigrations({ migrations: dir })
  if (set.migrations.length !== count || set.diagnostics.some((d) => d.severity === 'error')) {
    throw new Error(
      `discovery found ${set.migrations.length} migrations and ${set.diagnostics.length} diagnostics`,
    )
  }
  const statements = set.migrations.flatMap((m) => m.up.statements.map((s) => s.sql))
  const major = Math.floor(
    Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num) / 10_000,
  )
  const fingerprint = await computeFingerprint({ set, serverMajor: major })

  const coldBuild = async () => {
    const started = performance.now()
    const result = await ensureTemplate({
      adminUrl: serverUrl,
      set,
      fingerprint,
      project: 'bench',
    })
    const ms = performance.now() - started
    if (result.status !== 'built' || result.applied !== count) {
      throw new Error(`template ${result.status} with ${result.applied} migrations`)
    }
    created.add(result.name)
    await drop(result.name)
    return ms
  }
  const viaApplier = () =>
    timedWithCreate(async (client) => {
      const result = await applyMigrations(client, set)
      if (result.applied.length !== count)
        throw new Error(`applied ${result.applied.length} of ${count}`)
    })
  const oneByOne = () =>
    timedWithCreate(async (client) => {
      for (const sql of statements) await client.query(sql)
    })
  // What the server itself needs: every statement in one round trip and one transaction, with
  // no version table, no error location, no commit wait. No applier can go below it.
  const script = `BEGIN;\n${statements.map((sql) => `${sql.trim().replace(/;$/, '')};`).join('\n')}\nCOMMIT;`
  const floor = () =>
    timedWithCreate(async (client) => {
      await client.query('SET synchronous_commit = off')
      await client.query(script)
    })

  const fns = { build: coldBuild, applier: viaApplier, plain: oneByOne, floor }
  const sides = { build: [], applier: [], plain: [], floor: [] }
  for (let round = 0; round < rounds; round++) {
    const order = Object.keys(fns)
    if (round % 2 === 1) order.reverse()
    for (const side of order) sides[side].push(await fns[side]())
  }
  const b = median(sides.build)
  const a = median(sides.applier)
  const p = median(sides.plain)
  const f = median(sides.floor)
  console.log(
    `(c) ${count} goose migrations, ${statements.length} statements, ${embedded ? 'embedded ' : ''}PostgreSQL ${major}, ${rounds} rounds (medians, CREATE DATABASE included)`,
  )
  console.log(`  cold template build (ensureTemplate): ${b.toFixed(0)} ms`)
  console.log(`  applyMigrations, plain session:       ${a.toFixed(0)} ms`)
  console.log(`  pg, statements one by one:            ${p.toFixed(0)} ms`)
  console.log(`  floor, one script in one transaction: ${f.toFixed(0)} ms`)
  console.log(`  ratio cold build / one by one:        ${(b / p).toFixed(2)} (target ≤ 0.5)`)
  console.log(`  ratio applyMigrations / one by one:   ${(a / p).toFixed(2)}`)
  console.log(
    `  ratio floor / one by one:             ${(f / p).toFixed(2)} (no applier goes below)`,
  )
  console.log(loadLine())
} finally {
  for (const name of created) await drop(name).catch(() => {})
  await admin.end()
  await rm(dir, { recursive: true, force: true })
  if (embeddedCache) {
    await embedded.release()
    await stopEmbeddedServer({ cacheDir: embeddedCache, force: true, removeData: true })
    await rm(embeddedCache, { recursive: true, force: true })
  }
}
