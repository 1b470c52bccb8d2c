import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { cloneInto } from '../../src/templates/clone.js'
import { dropDatabase } from '../../src/templates/drop.js'
import { poolNameFor, poolNamePrefixFor } from '../../src/templates/naming.js'
import { listDatabases, newRecord, readDatabase } from '../../src/templates/ownership.js'
import { startTestbed } from '../../src/testbed/start.js'
import type { TestbedInfo } from '../../src/testbed/types.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { gooseProject, projectDatabases, type GooseProject } from '../helpers/goose-project.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, '../fixtures/templates/child.mjs')
const DIST = path.join(here, '../../dist/index.js')

// Sleeps only where the connection sets pgtestbed.test_sleep (PGOPTIONS in a child), so the
// migration text, and with it the fingerprint, is the same for every process.
const SLOW_MIGRATION = `-- +goose Up
SELECT pg_sleep(coalesce(nullif(current_setting('pgtestbed.test_sleep', true), ''), '0')::float);
CREATE TABLE slow_done (id int);

-- +goose Down
DROP TABLE slow_done;
`

const projects: GooseProject[] = []
const children: ChildProcess[] = []
async function project(...args: Parameters<typeof gooseProject>): Promise<GooseProject> {
  const p = await gooseProject(...args)
  projects.push(p)
  return p
}

beforeAll(() => {
  if (!existsSync(DIST))
    throw new Error(`${DIST} is missing: run \`npx tsup\` in packages/core first`)
})
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const p of projects.splice(0)) await p.cleanup()
})
afterAll(() => closeAdminPools())

interface ChildResult<T> {
  code: number | null
  signal: NodeJS.Signals | null
  output: T | undefined
  stderr: string
}

function runChild<T>(
  mode: string,
  input: unknown,
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<ChildResult<T>> } {
  const child = spawn(process.execPath, [CHILD, mode], {
    env: { ...process.env, ...env, PGTESTBED_CHILD: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const done = new Promise<ChildResult<T>>((resolve) => {
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop()
      let output: T | undefined
      try {
        output = line ? (JSON.parse(line) as T) : undefined
      } catch {
        output = undefined
      }
      resolve({ code, signal, output, stderr })
    })
  })
  return { child, done }
}

function testbedOptions(p: GooseProject) {
  return { server: 'url', url: TEST_SERVER_URL, cwd: p.cwd, env: {}, sweep: false }
}

describe('templates across processes', () => {
  test('should build a template exactly once when 8 processes start at once, and give each a clone', async () => {
    const p = await project({ migrations: 10, files: { '00011_slow.sql': SLOW_MIGRATION } })
    const startAt = Date.now() + 1500
    const runs = Array.from({ length: 8 }, () =>
      runChild<{
        status: string
        applied: number
        template: string
        clone: string
        dropped: boolean
      }>(
        'testbed',
        { options: testbedOptions(p), startAt },
        { PGOPTIONS: '-c pgtestbed.test_sleep=2' },
      ),
    )
    const results = await Promise.all(runs.map((r) => r.done))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const outputs = results.map((r) => r.output!)
    expect(outputs.filter((o) => o.status === 'built')).toHaveLength(1)
    expect(outputs.filter((o) => o.status === 'reused')).toHaveLength(7)
    expect(outputs.find((o) => o.status === 'built')?.applied).toBe(11)
    expect(new Set(outputs.map((o) => o.template)).size).toBe(1)
    expect(new Set(outputs.map((o) => o.clone)).size).toBe(8)
    expect(outputs.every((o) => o.dropped)).toBe(true)
    expect(await projectDatabases(p.project)).toEqual([
      { name: outputs[0]!.template, kind: 'template', isTemplate: true },
    ])
  })

  test('should rebuild cleanly after a builder is killed with SIGKILL mid-build, trusting nothing it left', async () => {
    const p = await project({ migrations: 2, files: { '00003_slow.sql': SLOW_MIGRATION } })
    const { child, done } = runChild(
      'testbed',
      { options: testbedOptions(p) },
      { PGOPTIONS: '-c pgtestbed.test_sleep=60' },
    )
    // Wait until the build database exists (the builder is inside the slow migration), then kill it.
    let building: string | undefined
    for (let i = 0; i < 200 && !building; i++) {
      building = (await projectDatabases(p.project)).find((d) => d.kind === 'build')?.name
      if (!building) await sleep(100)
    }
    expect(building).toMatch(/^pgtestbed_bld_/)
    child.kill('SIGKILL')
    expect((await done).signal).toBe('SIGKILL')
    // Only the untrusted build database is left; no template.
    expect((await projectDatabases(p.project)).map((d) => d.kind)).toEqual(['build'])

    await using testbed = await startTestbed(testbedOptions(p) as never)
    expect(testbed.template).toMatchObject({ status: 'built', applied: 3 })
    expect(await projectDatabases(p.project)).toEqual([
      { name: testbed.info.template, kind: 'template', isTemplate: true },
    ])
    await using db = await testbed.clone()
    expect(db.name).toMatch(/^pgtestbed_c_/)
  })

  test('should give clone names that are unique across processes', async () => {
    const p = await project({ migrations: 1 })
    await using testbed = await startTestbed(testbedOptions(p) as never)
    const startAt = Date.now() + 1500
    const runs = Array.from({ length: 4 }, () =>
      runChild<{ clones: Array<{ name: string }> }>('clones', {
        info: testbed.info,
        count: 5,
        startAt,
      }),
    )
    const results = await Promise.all(runs.map((r) => r.done))
    const names = results.flatMap((r) => {
      expect(r.code, r.stderr).toBe(0)
      return r.output!.clones.map((c) => c.name)
    })
    try {
      expect(names).toHaveLength(20)
      expect(new Set(names).size).toBe(20)
      const existing = new Set((await projectDatabases(p.project)).map((d) => d.name))
      for (const name of names) expect(existing.has(name)).toBe(true)
    } finally {
      await withAdminClient(TEST_SERVER_URL, async (c) => {
        for (const name of names) await dropDatabase(c, name)
      })
    }
  })

  test('should never hand a pool database out twice when several processes claim at once', async () => {
    const p = await project({ migrations: 1 })
    // No pool of its own: the test makes the six pool databases the children race for.
    await using testbed = await startTestbed({ ...testbedOptions(p), pool: 0 } as never)
    const info: TestbedInfo = { ...testbed.info, pool: true, poolSize: 6 }
    await withAdminClient(TEST_SERVER_URL, async (c) => {
      for (let i = 0; i < 6; i++) {
        const name = poolNameFor(info.template)
        await cloneInto(
          c,
          info,
          name,
          newRecord({ kind: 'pool', project: p.project, template: info.template }),
        )
      }
    })
    const startAt = Date.now() + 1500
    const runs = Array.from({ length: 4 }, () =>
      runChild<{ pid: number; clones: Array<{ name: string; fromPool: boolean }> }>('clones', {
        info,
        count: 3,
        startAt,
      }),
    )
    const results = await Promise.all(runs.map((r) => r.done))
    const clones = results.flatMap((r) => {
      expect(r.code, r.stderr).toBe(0)
      return r.output!.clones.map((c) => ({ ...c, pid: r.output!.pid }))
    })
    try {
      expect(clones).toHaveLength(12)
      expect(new Set(clones.map((c) => c.name)).size).toBe(12)
      expect(clones.filter((c) => c.fromPool)).toHaveLength(6)
      const left = await withAdminClient(TEST_SERVER_URL, (c) =>
        listDatabases(c, poolNamePrefixFor(info.template)),
      )
      expect(left.filter((e) => e.record?.kind === 'pool')).toEqual([])
      for (const clone of clones) {
        const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, clone.name))
        expect(entry?.record).toMatchObject({ kind: 'clone', pid: clone.pid })
      }
    } finally {
      await withAdminClient(TEST_SERVER_URL, async (c) => {
        for (const clone of clones) await dropDatabase(c, clone.name)
      })
    }
  })
})
