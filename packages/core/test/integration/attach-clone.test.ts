import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { attachClone } from '../../src/templates/attach.js'
import { createClone, resolveCloneStrategy, type CloneSource } from '../../src/templates/clone.js'
import { readDatabase } from '../../src/templates/ownership.js'
import { buildProjectTemplate, gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { TEST_SERVER_URL, withAdmin } from '../helpers/pg.js'

let p: GooseProject
let source: CloneSource

beforeAll(async () => {
  p = await gooseProject({ migrations: 1 })
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

const exists = (name: string) =>
  withAdminClient(
    TEST_SERVER_URL,
    async (client) => (await readDatabase(client, name)) !== undefined,
  )

describe('attachClone', () => {
  test('should drop a clone another handle created, by its name', async () => {
    const made = await createClone(source, { label: 'attach.test.ts' })
    const attached = await attachClone(source, made.name)
    expect(attached?.url).toBe(made.url)
    const result = await attached!.drop()
    expect(result.dropped).toBe(true)
    expect(result.record?.label).toBe('attach.test.ts')
    expect(await exists(made.name)).toBe(false)
  })

  test('should keep a clone by its name, marking its record kept', async () => {
    const made = await createClone(source, { label: 'kept.test.ts' })
    try {
      const url = await (await attachClone(source, made.name))!.keep()
      expect(url).toBe(made.url)
      const record = await withAdminClient(
        TEST_SERVER_URL,
        async (client) => (await readDatabase(client, made.name))?.record,
      )
      expect(record).toMatchObject({ kind: 'clone', kept: true, label: 'kept.test.ts' })
    } finally {
      await made.drop()
    }
  })

  test('should give undefined for a database that no longer exists', async () => {
    expect(await attachClone(source, 'pgtestbed_c_000000000000_0000000000000000')).toBeUndefined()
  })

  test('should refuse NOT_OWNED a database without our record, and a clone of another template', async () => {
    const name = `pgtestbed_c_foreign_${process.pid}`
    await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`))
    const made = await createClone(source)
    try {
      for (const [target, from] of [
        [name, source],
        [made.name, { ...source, template: 'pgtestbed_tpl_other' }],
      ] as const) {
        const error = await attachClone(from, target).catch((e: unknown) => e)
        expect(isPgtestbedError(error) && error.code).toBe('NOT_OWNED')
        expect((error as Error).message).toContain(`database "${target}" is not a pgtestbed clone`)
      }
      expect(await exists(name)).toBe(true)
    } finally {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}"`))
      await made.drop()
    }
  })
})
