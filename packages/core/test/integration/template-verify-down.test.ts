import { describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { withAdminClient } from '../../src/templates/admin.js'
import { listDatabases } from '../../src/templates/ownership.js'
import type { VerifyDownError } from '../../src/templates/verify-down.js'
import { startTestbed } from '../../src/testbed/start.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { projectDatabases, useGooseProjects, type GooseProject } from '../helpers/goose-project.js'

const project = useGooseProjects()

async function scratchDatabases(project: string): Promise<string[]> {
  return withAdminClient(TEST_SERVER_URL, async (c) =>
    (await listDatabases(c, 'pgtestbed_s_'))
      .filter((e) => e.record?.project === project)
      .map((e) => e.name),
  )
}

function start(p: GooseProject) {
  return startTestbed({
    server: 'url',
    url: TEST_SERVER_URL,
    cwd: p.cwd,
    env: {},
    verifyDown: true,
  })
}

describe('verifyDown', () => {
  test('should build the template when every Down section undoes its Up exactly', async () => {
    const p = await project({ migrations: 3 })
    await using testbed = await start(p)
    expect(testbed.template.status).toBe('built')
    expect(await scratchDatabases(p.project)).toEqual([])
  })

  test('should name the migration whose Down leaves a column behind, and build nothing', async () => {
    const p = await project({
      migrations: 2,
      files: {
        '00003_add_extra.sql':
          '-- +goose Up\nALTER TABLE t1 ADD COLUMN extra text;\nCREATE INDEX t1_extra_idx ON t1 (extra);\n\n-- +goose Down\nDROP INDEX t1_extra_idx;\n',
      },
    })
    const error = (await start(p).catch((e: unknown) => e)) as VerifyDownError
    expect(isPgtestbedError(error) && error.code).toBe('VERIFY_DOWN_FAILED')
    expect(error.message).toBe(
      'verifyDown: rolling back migration 3 (00003_add_extra.sql:5) did not restore the schema it started from:\n' +
        '  left behind:\n    column public.t1.extra',
    )
    expect(error.failure.migration?.version).toBe('3')
    expect(error.failure.diff.extra).toEqual(['column public.t1.extra'])
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should report a Down section that fails, with the migration and the PostgreSQL error', async () => {
    const p = await project({
      migrations: 1,
      files: {
        '00002_bad_down.sql':
          '-- +goose Up\nCREATE TABLE x (id int);\n\n-- +goose Down\nDROP TABLE not_there;\n',
      },
    })
    const error = (await start(p).catch((e: unknown) => e)) as VerifyDownError
    expect(isPgtestbedError(error) && error.code).toBe('VERIFY_DOWN_FAILED')
    expect(error.message).toContain(
      'verifyDown: the Down section of migration 2 (00002_bad_down.sql:4) failed:',
    )
    expect(error.message).toContain('table "not_there" does not exist')
    expect(error.failure.phase).toBe('down')
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should report a migration without a Down section that creates objects', async () => {
    const p = await project({
      migrations: 1,
      files: { '00002_no_down.sql': '-- +goose Up\nCREATE TABLE keeps (id int);\n' },
    })
    const error = (await start(p).catch((e: unknown) => e)) as VerifyDownError
    expect(isPgtestbedError(error) && error.code).toBe('VERIFY_DOWN_FAILED')
    expect(error.message).toContain(
      'rolling back migration 2 (00002_no_down.sql) did not restore the schema it started from (it has no Down statements)',
    )
    expect(error.message).toContain('table public.keeps')
    expect(error.fix).toBe('Add a Down section that undoes the Up section.')
  })
})
