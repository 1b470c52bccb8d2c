import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { attachClone } from '../../src/templates/attach.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { createClone, type CloneSource } from '../../src/templates/clone.js'
import { dropDatabase } from '../../src/templates/drop.js'
import { readDatabase } from '../../src/templates/ownership.js'
import { sweep } from '../../src/templates/sweep.js'
import { buildProjectTemplate, gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { createLookalikes, type Lookalike } from '../helpers/lookalikes.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'

let p: GooseProject
let source: CloneSource
let lookalikes: Awaited<ReturnType<typeof createLookalikes>>

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
  lookalikes = await createLookalikes(source.template)
})
afterAll(async () => {
  await lookalikes?.drop()
  await p?.cleanup()
  await closeAdminPools()
})

async function stillThere(db: Lookalike): Promise<boolean> {
  const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, db.name))
  return entry !== undefined && (entry.comment ?? null) === db.comment
}

describe('foreign lookalike databases', () => {
  test('should never be claimed from the pool: the clone is a direct copy and every lookalike is untouched', async () => {
    for (let i = 0; i < 3; i++) {
      const clone = await createClone(source, { label: 'ownership.test.ts' })
      try {
        expect(clone.fromPool).toBe(false)
        expect(lookalikes.databases.map((d) => d.name)).not.toContain(clone.name)
      } finally {
        await clone.drop()
      }
    }
    for (const db of lookalikes.databases) expect(await stillThere(db), db.name).toBe(true)
  })

  test('should be refused (NOT_OWNED) by drop, attach and keep, and left alone by the sweeper', async () => {
    for (const db of lookalikes.databases) {
      const dropped = await withAdminClient(TEST_SERVER_URL, (c) => dropDatabase(c, db.name)).catch(
        (e: unknown) => e,
      )
      expect(isPgtestbedError(dropped) && dropped.code, db.name).toBe('NOT_OWNED')
      const attached = await attachClone(source, db.name).catch((e: unknown) => e)
      expect(isPgtestbedError(attached) && attached.code, db.name).toBe('NOT_OWNED')
    }
    const report = await sweep(TEST_SERVER_URL, { ttlMs: 0, keptTtlMs: 0, dryRun: false })
    for (const db of lookalikes.databases) {
      expect(report.dropped.map((e) => e.name)).not.toContain(db.name)
      expect(report.kept.find((e) => e.name === db.name)?.reason).toMatch(
        /not created by pgtestbed/,
      )
      expect(await stillThere(db), db.name).toBe(true)
    }
  })
})
