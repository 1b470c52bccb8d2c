// Discovery + parse + validate of 1,000 generated goose migrations: cold (first run in a fresh
// process, nothing warmed up) and warm (median of later runs). Prints figures; never fails on them.
// Target on the 2-core dev machine: under 300 ms. Uses the built package (`pnpm --filter
// @pgtestbed/core build` first). Usage: node src/discover.bench.mjs [count] [runs]
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { discoverMigrations } from '@pgtestbed/core'
import { functionGooseFile, median, writeGooseFiles } from './shared.mjs'

const count = Number(process.argv[2] ?? 1000)
const runs = Number(process.argv[3] ?? 7)

const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-discover-'))
try {
  await writeGooseFiles(dir, count, 'create_table', functionGooseFile)
  const time = async () => {
    const started = performance.now()
    const set = await discoverMigrations({ migrations: dir })
    const ms = performance.now() - started
    if (set.migrations.length !== count || set.diagnostics.length > 0) {
      throw new Error(
        `unexpected result: ${set.migrations.length} migrations, ${set.diagnostics.length} diagnostics`,
      )
    }
    return ms
  }
  const cold = await time()
  const warm = []
  for (let k = 0; k < runs; k++) warm.push(await time())
  console.log(`discover ${count} goose files (list + read + parse both directions + validate)`)
  console.log(`  cold (first run in process): ${cold.toFixed(1)} ms`)
  console.log(
    `  warm (median of ${runs}):     ${median(warm).toFixed(1)} ms   (min ${Math.min(...warm).toFixed(1)}, max ${Math.max(...warm).toFixed(1)})`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
