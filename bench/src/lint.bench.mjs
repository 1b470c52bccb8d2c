// Lint of 1,000 generated goose migrations: cold (the first lint in a fresh process: loading
// libpg-query's 1.7 MB WASM parser, parsing every statement while the parser still runs as
// baseline code, the rules while JavaScript is not yet optimised) and warm (median of later runs in
// one process). Cold runs each spawn a fresh Node process; wall time and CPU time are printed, and
// on a busy machine the minimum is the figure to compare. Prints figures; never fails on them.
// Uses the built package (`pnpm --filter @pgtestbed/core build` first).
// Usage: node src/lint.bench.mjs [count] [coldRuns] [warmRuns]
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { functionGooseFile, median, writeGooseFiles } from './shared.mjs'

const child = process.argv[2] === '--child'

const cpuMs = (since) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}

/** One lint run: wall and CPU milliseconds and the number of findings. */
async function timeLint(lintMigrations, set) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const diagnostics = await lintMigrations(set)
  return { ms: performance.now() - started, cpuMs: cpuMs(cpu), findings: diagnostics.length }
}

if (child) {
  // A fresh process: nothing of libpg-query is loaded, no lint code has run.
  const dir = process.argv[3]
  const { discoverMigrations, lintMigrations } = await import('@pgtestbed/core')
  const discoverStarted = performance.now()
  const set = await discoverMigrations({ migrations: dir })
  const discoverMs = performance.now() - discoverStarted
  const lint = await timeLint(lintMigrations, set)
  console.log(JSON.stringify({ discoverMs, ...lint }))
} else {
  const count = Number(process.argv[2] ?? 1000)
  const coldRuns = Number(process.argv[3] ?? 5)
  const warmRuns = Number(process.argv[4] ?? 7)
  const figures = (values) =>
    `median ${median(values).toFixed(0)} ms, min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)}`

  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-lint-'))
  try {
    await writeGooseFiles(dir, count, 'create_table', (n) =>
      functionGooseFile(n, { lintFindings: true }),
    )
    const self = fileURLToPath(import.meta.url)
    const cold = []
    for (let k = 0; k < coldRuns; k++) {
      const run = spawnSync(process.execPath, [self, '--child', dir], { encoding: 'utf8' })
      if (run.status !== 0) throw new Error(`cold run failed:\n${run.stderr}`)
      cold.push(JSON.parse(run.stdout.trim().split('\n').at(-1)))
    }

    const { discoverMigrations, lintMigrations } = await import('@pgtestbed/core')
    const set = await discoverMigrations({ migrations: dir })
    if (set.migrations.length !== count) {
      throw new Error(`expected ${count} migrations, discovered ${set.migrations.length}`)
    }
    await lintMigrations(set)
    const warm = []
    for (let k = 0; k < warmRuns; k++) warm.push(await timeLint(lintMigrations, set))

    console.log(`lint ${count} goose files (${cold[0].findings} findings)`)
    console.log(`  cold, fresh process (${coldRuns} runs):`)
    console.log(`    lint wall: ${figures(cold.map((r) => r.ms))}`)
    console.log(`    lint CPU:  ${figures(cold.map((r) => r.cpuMs))}`)
    console.log(`    discover (before lint) wall: ${figures(cold.map((r) => r.discoverMs))}`)
    console.log(`  warm, same process (${warmRuns} runs):`)
    console.log(`    lint wall: ${figures(warm.map((r) => r.ms))}`)
    console.log(`    lint CPU:  ${figures(warm.map((r) => r.cpuMs))}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
