import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { createClone, resolveCloneStrategy, type CloneSource } from '../../src/templates/clone.js'
import { dropDatabase, formatLeakedConnections } from '../../src/templates/drop.js'
import { readDatabase } from '../../src/templates/ownership.js'
import { sweep } from '../../src/templates/sweep.js'
import { TEST_SERVER_URL, withAdmin } from '../helpers/pg.js'
import { buildProjectTemplate, gooseProject, type GooseProject } from '../helpers/goose-project.js'

let p: GooseProject
let source: CloneSource

beforeAll(async () => {
  p = await gooseProject({ migrations: 2 })
  source = {
    adminUrl: TEST_SERVER_URL,
    template: await buildProjectTemplate(p),
    project: p.project,
    majorVersion: 15,
    cloneStrategy: resolveCloneStrategy('auto', 15),
  }
})
afterAll(async () => {
  await p?.cleanup()
  await closeAdminPools()
})

async function connect(url: string, applicationName?: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    ...(applicationName ? { application_name: applicationName } : {}),
  })
  client.on('error', () => {})
  await client.connect()
  return client
}

async function exists(name: string): Promise<boolean> {
  return withAdminClient(TEST_SERVER_URL, async (c) => (await readDatabase(c, name)) !== undefined)
}

describe('createClone', () => {
  test('should give each clone the template schema, isolated from other clones', async () => {
    await using a = await createClone(source, { label: 'a.test.ts' })
    await using b = await createClone(source, { label: 'b.test.ts' })
    expect(a.name).not.toBe(b.name)
    expect(a.name).toMatch(/^pgtestbed_c_[0-9a-f]{12}_[0-9a-f]{16}$/)
    const ca = await connect(a.url)
    const cb = await connect(b.url)
    try {
      await ca.query("INSERT INTO t1 (name) VALUES ('only in a')")
      expect((await ca.query('SELECT count(*)::int AS n FROM t1')).rows[0].n).toBe(1)
      expect((await cb.query('SELECT count(*)::int AS n FROM t1')).rows[0].n).toBe(0)
      expect((await cb.query('SELECT f2() AS v')).rows[0].v).toBe(2)
    } finally {
      await ca.end()
      await cb.end()
    }
    const record = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, a.name))
    expect(record?.record).toMatchObject({
      kind: 'clone',
      label: 'a.test.ts',
      template: source.template,
      pid: process.pid,
    })
  })

  test('should drop the clone on dispose', async () => {
    let name = ''
    {
      await using db = await createClone(source)
      name = db.name
      expect(await exists(name)).toBe(true)
    }
    expect(await exists(name)).toBe(false)
  })

  test('should report who was still connected when it drops a clone', async () => {
    const db = await createClone(source, { label: 'leaky.test.ts' })
    const leaked = await connect(db.url, 'leaky.test.ts worker 3')
    await leaked.query('SELECT count(*) FROM t2')
    const result = await db.drop()
    expect(result.dropped).toBe(true)
    expect(result.leakedConnections).toHaveLength(1)
    expect(result.leakedConnections[0]).toMatchObject({
      applicationName: 'leaky.test.ts worker 3',
      state: 'idle',
      lastQuery: 'SELECT count(*) FROM t2',
    })
    expect(formatLeakedConnections(result.leakedConnections)).toMatch(
      /^pid \d+ "leaky.test.ts worker 3" from 127\.0\.0\.1\/32 idle connected since .* last query: SELECT count\(\*\) FROM t2$/,
    )
    expect(await exists(db.name)).toBe(false)
    await leaked.end().catch(() => {})
  })

  test('should list the sessions a drop ended oldest first, whatever slot the server gave them', async () => {
    const db = await createClone(source, { label: 'leaky.test.ts' })
    const first = await connect(db.url, 'first')
    const second = await connect(db.url, 'second')
    const third = await connect(db.url, 'third')
    // The server reuses the lowest free slot: the newest session now sits where the first was.
    await first.end()
    const gone = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'first'"
    while ((await second.query<{ n: number }>(gone)).rows[0]?.n) await sleep(10)
    const fourth = await connect(db.url, 'fourth')
    const result = await db.drop()
    expect(result.leakedConnections.map((c) => c.applicationName)).toEqual([
      'second',
      'third',
      'fourth',
    ])
    for (const client of [second, third, fourth]) await client.end().catch(() => {})
  })

  test('should keep a clone for debugging: marked kept, not dropped by drop() or the sweeper', async () => {
    const db = await createClone(source, { label: 'failing.test.ts' })
    try {
      expect(await db.keep()).toBe(db.url)
      expect((await db.drop()).dropped).toBe(false)
      const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))
      expect(entry?.record).toMatchObject({ kind: 'clone', kept: true, label: 'failing.test.ts' })
      const report = await sweep(TEST_SERVER_URL, { dryRun: true })
      expect(report.kept.find((e) => e.name === db.name)?.reason).toMatch(/^kept for debugging/)
      expect(report.dropped.map((e) => e.name)).not.toContain(db.name)
    } finally {
      await withAdminClient(TEST_SERVER_URL, (c) => dropDatabase(c, db.name))
    }
  })

  test('should refuse (DATABASE_GONE) to keep a clone that was dropped meanwhile, instead of printing it as kept', async () => {
    const db = await createClone(source, { label: 'failing.test.ts' })
    // What `pgtestbed gc --force` does to a live run's clone mid-test.
    await withAdmin((c) => c.query(`DROP DATABASE "${db.name}" WITH (FORCE)`))
    const error = await db.keep().catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('DATABASE_GONE')
    expect((error as Error).message).toBe(
      `cannot keep database "${db.name}": it no longer exists (dropped by \`pgtestbed gc --force\` or by hand while the tests ran)`,
    )
  })

  test('should clone with either strategy', async () => {
    for (const strategy of ['file_copy', 'wal_log'] as const) {
      await using db = await createClone({ ...source, cloneStrategy: strategy })
      const c = await connect(db.url)
      expect((await c.query('SELECT count(*)::int AS n FROM goose_db_version')).rows[0].n).toBe(3)
      await c.end()
    }
  })

  test('should fail with CLONE_FAILED and a fix when the template is gone', async () => {
    const error = await createClone({
      ...source,
      template: 'pgtestbed_tpl_00000000000000000000000000000000',
    }).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('CLONE_FAILED')
    expect((error as Error).message).toBe(
      'could not clone template "pgtestbed_tpl_00000000000000000000000000000000": ERROR 3D000: template database "pgtestbed_tpl_00000000000000000000000000000000" does not exist',
    )
    expect(isPgtestbedError(error) && error.fix).toContain('run the tests again to rebuild it')
  })
})

describe('dropDatabase', () => {
  test('should refuse with NOT_OWNED a user database that merely starts with pgtestbed_, and leave it alone', async () => {
    const name = `pgtestbed_something_${process.pid}`
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`))
    try {
      const error = await withAdminClient(TEST_SERVER_URL, (c) => dropDatabase(c, name)).catch(
        (e: unknown) => e,
      )
      expect(isPgtestbedError(error) && error.code).toBe('NOT_OWNED')
      expect((error as Error).message).toBe(
        `pgtestbed refuses to touch database "${name}": it has no pgtestbed ownership record (its COMMENT is not a pgtestbed record), so pgtestbed did not create it.`,
      )
      expect(await exists(name)).toBe(true)
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name}`))
    }
  })

  test('should report dropped: false for a database that no longer exists', async () => {
    const result = await withAdminClient(TEST_SERVER_URL, (c) =>
      dropDatabase(c, 'pgtestbed_c_gone_0000000000000000'),
    )
    expect(result).toMatchObject({ dropped: false, leakedConnections: [] })
  })
})

describe('resolveCloneStrategy', () => {
  test('should use no STRATEGY clause before PostgreSQL 15 and honour an explicit choice after', () => {
    expect(resolveCloneStrategy('auto', 14)).toBeNull()
    expect(resolveCloneStrategy('file_copy', 14)).toBeNull()
    expect(resolveCloneStrategy('file_copy', 15)).toBe('file_copy')
    expect(resolveCloneStrategy('wal_log', 17)).toBe('wal_log')
  })
})
