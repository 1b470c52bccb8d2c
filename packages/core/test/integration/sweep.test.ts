import { spawnSync } from 'node:child_process'
import pg from 'pg'
import os from 'node:os'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { dropDatabase } from '../../src/templates/drop.js'
import {
  hashText,
  KIND_PREFIXES,
  buildNameFor,
  templateNameFor,
} from '../../src/templates/naming.js'
import {
  listDatabases,
  newRecord,
  writeRecord,
  type OwnershipRecord,
} from '../../src/templates/ownership.js'
import { quoteIdent } from '../../src/templates/sql.js'
import { sweep, type SweepReport } from '../../src/templates/sweep.js'
import { TEST_SERVER_URL, withAdmin } from '../helpers/pg.js'

const run = hashText(`${process.pid}-${Date.now()}`).slice(0, 10)
const project = `sweep-${run}`
const otherProject = `sweep-other-${run}`
const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
const MIN = 60_000
const HOUR = 60 * MIN

/** A pid that is certainly not running: a child that has already exited. */
const deadPid = spawnSync(process.execPath, ['-e', '']).pid!

const names: string[] = []
const userDatabase = `pgtestbed_user_${run}`

async function create(
  name: string,
  record: OwnershipRecord | undefined,
  isTemplate = false,
): Promise<string> {
  await withAdminClient(TEST_SERVER_URL, async (c) => {
    await c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`)
    if (record) await writeRecord(c, name, record)
    if (isTemplate)
      await c.query(
        `ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
      )
  })
  names.push(name)
  return name
}

function clone(fields: Partial<OwnershipRecord> = {}): OwnershipRecord {
  return {
    ...newRecord({ kind: 'clone', project, template: templateNameFor(hashText(`t1-${run}`)) }),
    ...fields,
  }
}

function template(
  key: string,
  usedAgo: number,
  proj = project,
): { name: string; record: OwnershipRecord } {
  const fingerprint = hashText(`${key}-${run}`)
  return {
    name: templateNameFor(fingerprint),
    record: {
      ...newRecord({ kind: 'template', project: proj, fingerprint, complete: true }),
      createdAt: ago(usedAgo + HOUR),
      usedAt: ago(usedAgo),
    },
  }
}

const db: Record<string, string> = {}

beforeAll(async () => {
  const c = (s: string) => `${KIND_PREFIXES.clone}${run}_${s}`
  db.user = await create(userDatabase, undefined)
  db.deadClone = await create(c('dead'), clone({ pid: deadPid }))
  db.liveClone = await create(c('live'), clone())
  db.releasedClone = await create(c('released'), clone({ released: true }))
  db.remoteYoung = await create(c('remote_young'), clone({ host: `elsewhere-${run}`, pid: 12 }))
  db.remoteOld = await create(
    c('remote_old'),
    clone({ host: `elsewhere-${run}`, pid: 12, createdAt: ago(48 * HOUR) }),
  )
  db.keptOld = await create(
    c('kept_old'),
    clone({ pid: deadPid, kept: true, keptAt: ago(4 * 24 * HOUR) }),
  )
  db.keptYoung = await create(
    c('kept_young'),
    clone({ pid: deadPid, kept: true, keptAt: ago(HOUR) }),
  )
  const crashed = buildNameFor(hashText(`crashed-${run}`))
  db.crashedBuild = await create(
    crashed,
    {
      ...newRecord({
        kind: 'template',
        project,
        fingerprint: hashText(`crashed-${run}`),
        complete: true,
      }),
      pid: deadPid,
    },
    true,
  )
  const t0 = template('newest', 5 * MIN)
  const t1 = template('recent', 10 * MIN)
  const t2 = template('in-use', 2 * HOUR)
  const t3 = template('old', 3 * HOUR)
  const t4 = template('foreign', 9 * HOUR, otherProject)
  for (const [key, t] of Object.entries({ t0, t1, t2, t3, t4 }))
    db[key] = await create(t.name, t.record, true)
  // A live clone of t2 keeps t2 alive even though it is beyond keepTemplates.
  db.t2Clone = await create(c('t2_clone'), { ...clone(), template: db.t2! })
})

afterAll(async () => {
  await withAdminClient(TEST_SERVER_URL, async (c) => {
    const left = new Set((await listDatabases(c)).map((e) => e.name))
    for (const name of names.filter((n) => left.has(n) && n !== userDatabase))
      await dropDatabase(c, name)
  })
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(userDatabase)}`))
  await closeAdminPools()
})

function verdicts(report: SweepReport): Record<string, string> {
  const mine = new Set(Object.values(db))
  const out: Record<string, string> = {}
  const label = (name: string) => Object.entries(db).find(([, n]) => n === name)?.[0] ?? name
  for (const e of report.dropped) if (mine.has(e.name)) out[label(e.name)] = `drop: ${e.reason}`
  for (const e of report.kept) if (mine.has(e.name)) out[label(e.name)] = `keep: ${e.reason}`
  return out
}

describe('sweep', () => {
  test('should say, for every database, whether it would drop it and why (dry run drops nothing)', async () => {
    const report = await sweep(TEST_SERVER_URL, { dryRun: true, project, keepTemplates: 1 })
    expect(report.dryRun).toBe(true)
    const v = verdicts(report)
    expect(v).toEqual({
      user: 'keep: no pgtestbed ownership record: not created by pgtestbed, never dropped',
      deadClone: `drop: its owner (pid ${deadPid} on ${os.hostname()}) is gone`,
      liveClone: expect.stringMatching(
        /^keep: its owner \(pid \d+ on .+\) is still running \(`pgtestbed gc --force` drops it anyway\)$/,
      ),
      releasedClone: 'drop: released by its test file, whose run ended before dropping it',
      remoteYoung: `keep: owner pid 12 on elsewhere-${run} cannot be checked from here; younger than ttlMs (24 h)`,
      remoteOld: `drop: older than ttlMs (24 h); owner pid 12 on elsewhere-${run}`,
      keptOld: 'drop: kept for debugging 96 h ago, longer than keptTtlMs (72 h)',
      keptYoung: 'keep: kept for debugging (dropped 71 h from now)',
      crashedBuild: expect.stringMatching(
        /^drop: unfinished template build: its owner \(pid \d+ on .+\) is gone$/,
      ),
      t0: `keep: one of the 1 most recently used templates of project ${project}`,
      t1: 'keep: used 10 min ago (templateMinAgeMs is 15 min)',
      t2: `keep: still the template of ${db.t2Clone}`,
      t3: `drop: beyond the 1 most recently used templates of project ${project} (last used 3 h ago)`,
      t4: `keep: template of another project (${otherProject})`,
      t2Clone: expect.stringMatching(
        /^keep: its owner .* is still running \(`pgtestbed gc --force` drops it anyway\)$/,
      ),
    })
    const left = new Set(
      await withAdminClient(TEST_SERVER_URL, async (c) =>
        (await listDatabases(c)).map((e) => e.name),
      ),
    )
    for (const name of Object.values(db)) expect(left.has(name)).toBe(true)
  })

  test('should stop at the limit and report the rest as left for later', async () => {
    const report = await sweep(TEST_SERVER_URL, {
      dryRun: true,
      project,
      keepTemplates: 1,
      limit: 1,
    })
    expect(report.dropped).toHaveLength(1)
    expect(
      report.kept.filter((e) => e.reason.endsWith('(left for later: sweep limit 1 reached)'))
        .length,
    ).toBeGreaterThanOrEqual(4)
  })

  test("should never collect a live run's database by age alone, only with force; a recycled pid counts as gone", async () => {
    const recycled = await create(
      `${KIND_PREFIXES.clone}${run}_recycled`,
      clone({ pidStart: '1' }), // this pid, but another start time: another process
    )
    const byAge = await sweep(TEST_SERVER_URL, { dryRun: true, project, ttlMs: 0 })
    expect(byAge.dropped.map((e) => e.name)).not.toContain(db.liveClone)
    expect(byAge.dropped).toContainEqual({
      name: recycled,
      kind: 'clone',
      reason: expect.stringMatching(/^its owner \(pid \d+ on .+\) is gone$/),
    })
    const forced = await sweep(TEST_SERVER_URL, { dryRun: true, project, ttlMs: 0, force: true })
    expect(forced.dropped.map((e) => e.name)).toContain(db.liveClone)
    await withAdminClient(TEST_SERVER_URL, (c) => dropDatabase(c, recycled))
  })

  test('should drop what it reported and leave the rest, including a user database named pgtestbed_…', async () => {
    const report = await sweep(TEST_SERVER_URL, { project, keepTemplates: 1 })
    expect(report.failed).toEqual([])
    const left = new Set(
      await withAdminClient(TEST_SERVER_URL, async (c) =>
        (await listDatabases(c)).map((e) => e.name),
      ),
    )
    for (const key of [
      'deadClone',
      'releasedClone',
      'remoteOld',
      'keptOld',
      'crashedBuild',
      't3',
    ]) {
      expect(left.has(db[key]!), `${key} should be gone`).toBe(false)
    }
    for (const key of [
      'user',
      'liveClone',
      'remoteYoung',
      'keptYoung',
      't0',
      't1',
      't2',
      't4',
      't2Clone',
    ]) {
      expect(left.has(db[key]!), `${key} should be left`).toBe(true)
    }
  })

  test('should drop a leftover exactly once when several sweepers race for it, without errors', async () => {
    const name = await create(
      `${KIND_PREFIXES.build}${run}_race`,
      { ...clone({ kind: 'build', pid: deadPid, fingerprint: hashText(run) }) },
      true,
    )
    const clients = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client({ connectionString: TEST_SERVER_URL })
        c.on('error', () => {})
        await c.connect()
        return c
      }),
    )
    try {
      const results = await Promise.all(clients.map((c) => dropDatabase(c, name)))
      expect(results.filter((r) => r.dropped)).toHaveLength(1)
      // Every session is still usable afterwards (no FATAL ended one).
      for (const c of clients) expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })
})
