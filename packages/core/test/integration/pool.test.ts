import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { cloneInto, createClone, type CloneSource } from '../../src/templates/clone.js'
import { dropDatabase } from '../../src/templates/drop.js'
import {
  hashText,
  KIND_PREFIXES,
  poolNameFor,
  poolNamePrefixFor,
  templateNameFor,
} from '../../src/templates/naming.js'
import { listDatabases, newRecord, readDatabase } from '../../src/templates/ownership.js'
import { ClonePool } from '../../src/templates/pool.js'
import { quoteIdent } from '../../src/templates/sql.js'
import { TEST_SERVER_URL, withAdmin } from '../helpers/pg.js'
import { buildProjectTemplate, gooseProject, type GooseProject } from '../helpers/goose-project.js'

let p: GooseProject
let source: CloneSource

beforeAll(async () => {
  p = await gooseProject({ migrations: 1 })
  source = {
    adminUrl: TEST_SERVER_URL,
    template: await buildProjectTemplate(p),
    project: p.project,
    majorVersion: 15,
    cloneStrategy: 'wal_log',
    pool: true,
  }
})
afterAll(async () => {
  await p?.cleanup()
  await closeAdminPools()
})

async function poolDatabases(template: string): Promise<string[]> {
  return withAdminClient(TEST_SERVER_URL, async (c) =>
    (await listDatabases(c, poolNamePrefixFor(template)))
      .filter((e) => e.record?.kind === 'pool' && e.record.template === template)
      .map((e) => e.name),
  )
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await predicate()) return true
    await sleep(100)
  }
  return false
}

function newPool(template = source.template, size = 2): ClonePool {
  return new ClonePool({
    adminUrl: TEST_SERVER_URL,
    template,
    project: p.project,
    size,
    cloneStrategy: 'wal_log',
  })
}

describe('ClonePool', () => {
  test('should keep N clones ready, hand one out with a rename, and refill after the claim', async () => {
    const pool = newPool()
    pool.start()
    try {
      await pool.whenFull()
      const ready = await poolDatabases(source.template)
      expect(ready).toHaveLength(2)
      await using db = await createClone(source, { label: 'pooled.test.ts' })
      expect(db.fromPool).toBe(true)
      const after = await poolDatabases(source.template)
      expect(after).toHaveLength(1)
      const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))
      expect(entry?.record).toMatchObject({
        kind: 'clone',
        label: 'pooled.test.ts',
        template: source.template,
      })
      // Woken by the claim's NOTIFY, the pool tops itself up again.
      expect(await until(async () => (await poolDatabases(source.template)).length === 2)).toBe(
        true,
      )
    } finally {
      await pool.close()
    }
    expect(await poolDatabases(source.template)).toEqual([])
  })

  test('should fall back to a direct clone when the pool is empty', async () => {
    expect(await poolDatabases(source.template)).toEqual([])
    await using db = await createClone(source)
    expect(db.fromPool).toBe(false)
    expect(db.name).toMatch(/^pgtestbed_c_/)
  })

  test('should hand each pool database out once when many claims race for them', async () => {
    const names = Array.from({ length: 3 }, () => poolNameFor(source.template))
    await withAdminClient(TEST_SERVER_URL, async (c) => {
      for (const name of names) {
        await cloneInto(
          c,
          source,
          name,
          newRecord({ kind: 'pool', project: p.project, template: source.template }),
        )
      }
    })
    const clones = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createClone(source, { label: `race-${i}` })),
    )
    try {
      expect(clones.filter((c) => c.fromPool)).toHaveLength(3)
      expect(new Set(clones.map((c) => c.name)).size).toBe(8)
      expect(await poolDatabases(source.template)).toEqual([])
      for (const clone of clones) {
        const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, clone.name))
        expect(entry?.record?.kind).toBe('clone')
      }
    } finally {
      for (const clone of clones) await clone.drop()
    }
  })

  test('should drop its unclaimed databases of the old template when the template changes', async () => {
    const other = await gooseProject({ migrations: 1 })
    try {
      const otherTemplate = await buildProjectTemplate(other)
      const pool = newPool(source.template, 1)
      pool.start()
      try {
        await pool.whenFull()
        expect(await poolDatabases(source.template)).toHaveLength(1)
        await pool.setTemplate(otherTemplate)
        expect(await poolDatabases(source.template)).toEqual([])
        await pool.whenFull()
        expect(await poolDatabases(otherTemplate)).toHaveLength(1)
      } finally {
        await pool.close()
      }
      expect(await poolDatabases(otherTemplate)).toEqual([])
    } finally {
      await other.cleanup()
    }
  })

  test('should leave pool databases made by other processes alone on close', async () => {
    const foreign = poolNameFor(source.template)
    await withAdminClient(TEST_SERVER_URL, (c) =>
      cloneInto(c, source, foreign, {
        ...newRecord({ kind: 'pool', project: p.project, template: source.template }),
        pid: 1,
      }),
    )
    try {
      const pool = newPool(source.template, 1)
      pool.start()
      await pool.whenFull()
      await pool.close()
      expect(await poolDatabases(source.template)).toEqual([foreign])
    } finally {
      await withAdminClient(TEST_SERVER_URL, (c) => dropDatabase(c, foreign))
    }
  })

  test('should drop the clones test files hand off to it, so that they do not wait for the drop', async () => {
    const pool = newPool(source.template, 1)
    pool.start()
    try {
      await pool.whenFull()
      const db = await createClone(source, { label: 'handed-off.test.ts' })
      expect(await db.handOff()).toBe(true)
      // Handed off, not dropped by the caller: its record says so until the pool drops it.
      const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))
      expect(entry?.record).toMatchObject({ kind: 'clone', released: true })
      expect(
        await until(
          async () => !(await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))),
        ),
      ).toBe(true)
    } finally {
      await pool.close()
    }
  })

  test('should refuse a hand-off while a session is connected or after keep(), and change nothing', async () => {
    const db = await createClone(source, { label: 'in-use.test.ts' })
    const before = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))
    const session = new pg.Client({ connectionString: db.url })
    await session.connect()
    try {
      expect(await db.handOff()).toBe(false)
    } finally {
      await session.end()
    }
    const after = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))
    expect(after?.comment).toBe(before?.comment)
    await db.keep()
    expect(await db.handOff()).toBe(false)
    expect(
      (await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name)))?.record,
    ).toMatchObject({
      kept: true,
    })
    await withAdminClient(TEST_SERVER_URL, (c) => dropDatabase(c, db.name))
  })

  test('should drop, on close, the clones of its project handed off whatever their template, and no lookalike', async () => {
    // A pool of another template of the same project (a watch-mode run after an edit, say).
    const pool = newPool(templateNameFor(hashText(`other-${p.project}`)), 1)
    const db = await createClone(source, { label: 'late.test.ts' })
    expect(await db.handOff()).toBe(true)
    // A user database in the clones' name space, whose comment only looks like a released record.
    const lookalike = `${KIND_PREFIXES.clone}${randomBytes(6).toString('hex')}`
    await withAdmin(async (c) => {
      await c.query(`CREATE DATABASE ${quoteIdent(lookalike)}`)
      await c.query(
        `COMMENT ON DATABASE ${quoteIdent(lookalike)} IS 'pgtestbed:{"kind":"clone","released":true,"project":"${p.project}"}'`,
      )
    })
    try {
      await pool.close()
      expect(
        await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name)),
      ).toBeUndefined()
      expect(
        (await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, lookalike)))?.name,
      ).toBe(lookalike)
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(lookalike)}`))
    }
  })
})
