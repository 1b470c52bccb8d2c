// Applying 200 generated goose migrations with applyMigrations (Up sections, one transaction and
// one goose_db_version row per migration) against sending the same statements one by one through
// a pg Client (autocommit, no bookkeeping): "applying is not slower than running the statements".
// Each round uses two fresh databases, alternating which goes first. Prints medians and the
// ratio; never fails on them. Uses the built package (`pnpm --filter @pgtestbed/core build`).
// Usage: node src/apply.bench.mjs [count] [rounds]; server from PGTESTBED_BENCH_URL, else
// PGTESTBED_URL, else postgres://postgres@127.0.0.1:5432/postgres. With BENCH_SYNC_COMMIT=off both
// sides run with synchronous_commit off, close to pgtestbed's own test-tuned server (fsync off),
// where round trips rather than WAL flushes dominate.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { applyMigrations, discoverMigrations } from '@pgtestbed/core'
import { median, relationalGooseFile, writeGooseFiles } from './shared.mjs'

const count = Number(process.argv[2] ?? 200)
const rounds = Number(process.argv[3] ?? 7)
const syncCommit = process.env.BENCH_SYNC_COMMIT
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
const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-apply-'))
const created = new Set()

/** Runs `fn` against a fresh database (connection set up outside the timing) and drops it. */
async function timed(fn) {
  const name = `pgtestbed_bench_${randomBytes(5).toString('hex')}`
  await admin.query(`CREATE DATABASE "${name}"`)
  created.add(name)
  const client = new pg.Client({
    connectionString: urlFor(name),
    ...(syncCommit ? { options: `-c synchronous_commit=${syncCommit}` } : {}),
  })
  try {
    await client.connect()
    const started = performance.now()
    await fn(client)
    return performance.now() - started
  } finally {
    await client.end().catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    created.delete(name)
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

  const viaApplier = async (client) => {
    const result = await applyMigrations(client, set)
    if (result.applied.length !== count)
      throw new Error(`applied ${result.applied.length} of ${count}`)
  }
  const oneByOne = async (client) => {
    for (const sql of statements) await client.query(sql)
  }

  const applier = []
  const plain = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      applier.push(await timed(viaApplier))
      plain.push(await timed(oneByOne))
    } else {
      plain.push(await timed(oneByOne))
      applier.push(await timed(viaApplier))
    }
  }
  const a = median(applier)
  const p = median(plain)
  console.log(
    `${count} goose migrations, ${statements.length} statements, ${rounds} rounds (medians)`,
  )
  console.log(
    `  applyMigrations:            ${a.toFixed(0)} ms  (${(a / count).toFixed(2)} ms per migration)`,
  )
  console.log(`  pg, statements one by one:  ${p.toFixed(0)} ms`)
  console.log(`  ratio applier / one-by-one: ${(a / p).toFixed(2)}`)
} finally {
  for (const name of created)
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {})
  await admin.end()
  await rm(dir, { recursive: true, force: true })
}
