// Runs every benchmark in this folder in turn (each file named *.bench.mjs).
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const only = process.argv[2]
const benchmarks = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort()
for (const file of benchmarks) {
  if (only && !file.includes(only)) continue
  console.log(`\n## ${file}`)
  const result = spawnSync(process.execPath, [path.join(here, file)], { stdio: 'inherit' })
  if (result.status !== 0) process.exitCode = 1
}
