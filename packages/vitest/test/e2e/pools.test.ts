import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { projectKeyFor } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import { projectDatabases, runVitest, SERVER_URL, withClient } from './helpers.js'

const { defer, fixture, reportDir } = useCleanups()

const POOLS = ['forks', 'threads', 'vmThreads', 'vmForks'] as const
// Debugging one pool: E2E_POOLS=vmForks.
const pools = process.env.E2E_POOLS?.split(',') ?? POOLS
const LANES = [
  { lane: 'v3', version: '3.2' },
  { lane: 'v4', version: '4.1' },
  { lane: 'v5', version: '5' },
] as const

// One fixture copy per Vitest version (so one template), run once per pool and isolation: every
// file must start from an empty table through a pg.Pool its module creates at import, which the
// files of a worker share when the pool shares modules (isolate: false, vmThreads, vmForks).
for (const { lane, version } of LANES)
  describe(`Vitest ${version}`, () => {
    test('should start every test file from the template state in every pool', async () => {
      const project = fixture('pools', lane)
      const out = reportDir()
      const failures: string[] = []
      for (const pool of pools)
        for (const isolate of [true, false]) {
          const config = `pool ${pool}, isolate ${isolate}`
          rmSync(path.join(out, 'databases.txt'), { force: true })
          const run = await runVitest(project, [], {
            env: {
              PGTESTBED_URL: SERVER_URL,
              E2E_OUT: out,
              FIXTURE_POOL: pool,
              FIXTURE_ISOLATE: String(isolate),
            },
            timeoutMs: 90_000,
          }).catch((error: Error) => ({ code: null, output: error.message }))
          if (run.code !== 0 || !run.output.includes('Tests  8 passed (8)')) {
            failures.push(`${config}: exit ${run.code}\n${run.output}`)
            continue
          }
          const lines = readFileSync(path.join(out, 'databases.txt'), 'utf8').trim().split('\n')
          expect(lines, config).toHaveLength(4)
          // Where modules are shared (isolate: false), the worker's one database keeps its name
          // (one worker here); isolated files each get their own. The vm pools give each file
          // fresh modules, whatever the name.
          const names = new Set(lines.map((line) => line.split(' ')[1]))
          if (!pool.startsWith('vm')) expect(names.size, config).toBe(isolate ? 4 : 1)
        }
      expect(failures).toEqual([])
      const left = await projectDatabases(projectKeyFor(project.file('migrations')))
      expect(left.map((d) => d.kind)).toEqual(['template'])
    }, 900_000)
  })

describe('a shell DATABASE_URL', () => {
  test('should never receive a test file’s writes, even where files share modules', async () => {
    // A database the shell points at, with the same table: a file that fell through to it
    // would write there.
    const marker = `pgtestbed_e2e_marker_${process.pid}`
    await withClient(SERVER_URL, (c) => c.query(`CREATE DATABASE ${marker}`))
    defer(async () => {
      await withClient(SERVER_URL, (c) => c.query(`DROP DATABASE ${marker} WITH (FORCE)`))
    })
    const markerUrl = new URL(SERVER_URL)
    markerUrl.pathname = `/${marker}`
    await withClient(markerUrl.href, (c) =>
      c.query('CREATE TABLE items (id serial PRIMARY KEY, file text NOT NULL)'),
    )
    const project = fixture('pools')
    const run = await runVitest(project, [], {
      env: {
        PGTESTBED_URL: SERVER_URL,
        DATABASE_URL: markerUrl.href,
        FIXTURE_POOL: 'threads',
        FIXTURE_ISOLATE: 'false',
      },
    })
    expect(run.output).toContain('Tests  8 passed (8)')
    const rows = await withClient(markerUrl.href, (c) => c.query('SELECT file FROM items'))
    expect(rows.rows).toEqual([])
  })
})
