import { describe, expect, test } from 'vitest'
import { DiagnosticsError, isPgtestbedError } from '../../src/errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { writeManifest } from '../../src/migrations/files/manifest.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import type { TestbedOptions } from '../../src/testbed/types.js'
import { publicTables, TEST_SERVER_URL } from '../helpers/pg.js'
import {
  gooseMigration,
  projectDatabases,
  useGooseProjects,
  type GooseProject,
} from '../helpers/goose-project.js'

const HOST_PORT = new URL(TEST_SERVER_URL).host.replace(/\./g, '\\.')

const project = useGooseProjects()

function optionsFor(p: GooseProject, extra: TestbedOptions = {}): TestbedOptions {
  return { server: 'url', url: TEST_SERVER_URL, cwd: p.cwd, env: {}, ...extra }
}

describe('startTestbed', () => {
  test('should build the template on the first run, reuse it on the second, and hand out clones from plain-JSON info', async () => {
    const p = await project({ migrations: 3 })
    const first = await startTestbed(optionsFor(p))
    try {
      expect(first.template.status).toBe('built')
      expect(first.summary).toMatch(
        new RegExp(
          String.raw`^PostgreSQL 15 at ${HOST_PORT} · goose · 3 migrations · template pgtestbed_tpl_[0-9a-f]{8} built · \d+ ms$`,
        ),
      )
      const info = JSON.parse(JSON.stringify(first.info))
      expect(info).toEqual(first.info)
      expect(info).toMatchObject({
        v: 1,
        format: 'goose',
        migrations: 3,
        server: { kind: 'url', majorVersion: 15 },
        // The clone pool is on by default.
        pool: true,
      })
      await using db = await cloneDatabase(info, { label: 'first.test.ts' })
      expect(await publicTables(db.url)).toEqual(['goose_db_version', 't1', 't2', 't3'])
    } finally {
      await first.close()
    }
    const second = await startTestbed(optionsFor(p))
    try {
      expect(second.template).toMatchObject({
        status: 'reused',
        applied: 0,
        name: first.info.template,
      })
      expect(second.summary).toContain(' reused · ')
    } finally {
      await second.close()
    }
  })

  test('should fail with VALIDATION_FAILED before building anything when two migrations share a version', async () => {
    const p = await project({ migrations: 2, files: { '00002_other.sql': gooseMigration(9) } })
    const error = await startTestbed(optionsFor(p)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DiagnosticsError)
    expect((error as DiagnosticsError).code).toBe('VALIDATION_FAILED')
    expect((error as Error).message).toContain('00002_other.sql')
    expect((error as Error).message).toContain('00002_step_2.sql')
    expect((error as DiagnosticsError).diagnostics.map((d) => d.code)).toContain(
      'DUPLICATE_VERSION',
    )
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should fail with MANIFEST_MISMATCH naming a migration missing from the declared list', async () => {
    const p = await project({ migrations: 2 })
    const error = await startTestbed(optionsFor(p, { manifest: ['00001_step_1.sql'] })).catch(
      (e: unknown) => e,
    )
    expect(isPgtestbedError(error) && error.code).toBe('MANIFEST_MISMATCH')
    expect((error as DiagnosticsError).diagnostics.map((d) => d.code)).toContain(
      'MANIFEST_UNLISTED',
    )
    expect((error as Error).message).toContain('00002_step_2.sql')
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should check <migrations>/pgtestbed.sum when it exists (manifest: auto) and fail on an edited migration', async () => {
    const p = await project({ migrations: 2 })
    const set = await discoverMigrations({ migrations: 'migrations', cwd: p.cwd, env: {} })
    await writeManifest(set)
    await using ok = await startTestbed(optionsFor(p))
    expect(ok.template.status).toBe('built')

    await p.write('00002_step_2.sql', gooseMigration(2).replace('RETURN 2', 'RETURN 22'))
    const error = await startTestbed(optionsFor(p)).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('MANIFEST_MISMATCH')
    expect((error as DiagnosticsError).diagnostics.map((d) => d.code)).toEqual(['MANIFEST_EDITED'])
    expect((error as Error).message).toContain('00002_step_2.sql')
    // manifest: false skips the check.
    await using unchecked = await startTestbed(optionsFor(p, { manifest: false }))
    expect(unchecked.info.migrations).toBe(2)
  })

  test('should run the lint hook: errors fail the run with LINT_FAILED, warnings are kept and counted', async () => {
    const p = await project({ migrations: 1 })
    const file = `${p.migrationsDir}/00001_step_1.sql`
    const failing = await startTestbed(
      optionsFor(p, {
        lint: () => [
          {
            severity: 'error',
            code: 'LINT_NO_DROP',
            message: 'DROP TABLE is not allowed',
            file,
            line: 17,
          },
        ],
      }),
    ).catch((e: unknown) => e)
    expect(isPgtestbedError(failing) && failing.code).toBe('LINT_FAILED')
    expect((failing as Error).message).toContain(
      'migrations/00001_step_1.sql:17  error LINT_NO_DROP DROP TABLE is not allowed',
    )
    expect(await projectDatabases(p.project)).toEqual([])

    const warning = {
      severity: 'warning' as const,
      code: 'LINT_SLOW' as const,
      message: 'slow',
      file,
    }
    await using testbed = await startTestbed(optionsFor(p, { lint: async () => [warning] }))
    expect(testbed.diagnostics).toContainEqual(warning)
    expect(testbed.summary).toContain(' · 1 warning · ')
  })

  test('should report a manifest problem and a lint error in one failure, listing errors and counting warnings', async () => {
    const p = await project({ migrations: 2 })
    const file = `${p.migrationsDir}/00002_step_2.sql`
    const found = [
      {
        severity: 'error' as const,
        code: 'LINT_NO_DROP' as const,
        message: 'no drops',
        file,
        line: 3,
      },
      {
        severity: 'warning' as const,
        code: 'LINT_SLOW' as const,
        message: 'an unrelated warning',
        file,
      },
    ]
    const error = await startTestbed(
      optionsFor(p, { manifest: ['00001_step_1.sql'], lint: () => found }),
    ).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('MANIFEST_MISMATCH')
    expect((error as DiagnosticsError).diagnostics.map((d) => d.code)).toEqual([
      'MANIFEST_UNLISTED',
      'LINT_NO_DROP',
      'LINT_SLOW',
    ])
    const message = (error as Error).message
    expect(message).toContain(': 2 errors\n')
    expect(message).toContain('error LINT_NO_DROP no drops')
    expect(message).not.toContain('an unrelated warning')
    expect(message).toContain('(and 1 warning: `pgtestbed check` shows it)')
  })

  test('should reject invalid options with INVALID_OPTIONS', async () => {
    const p = await project({ migrations: 1 })
    for (const [extra, text] of [
      [{ pool: -1 }, 'pool must be a whole number'],
      [{ workers: 0 }, 'workers must be a whole number ≥ 1'],
      [{ cloneStrategy: 'fast' }, "cloneStrategy must be 'auto', 'wal_log' or 'file_copy'"],
      [{ lockTimeoutMs: 0 }, 'lockTimeoutMs must be a positive number'],
    ] as const) {
      const error = await startTestbed(optionsFor(p, extra as TestbedOptions)).catch(
        (e: unknown) => e,
      )
      expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
      expect((error as Error).message).toContain(text)
    }
  })

  test('should rebuild on refresh only when the fingerprint changed, and clone the new template after', async () => {
    const p = await project({ migrations: 2 })
    await using testbed = await startTestbed(optionsFor(p))
    const before = testbed.info
    expect(await testbed.refresh()).toMatchObject({ changed: false, info: before })

    await p.write('00003_step_3.sql', gooseMigration(3))
    const refreshed = await testbed.refresh()
    expect(refreshed.changed).toBe(true)
    expect(refreshed.template?.status).toBe('built')
    expect(refreshed.info.template).not.toBe(before.template)
    expect(testbed.info.migrations).toBe(3)
    await using db = await testbed.clone()
    expect(await publicTables(db.url)).toContain('t3')
  })

  test('should build once when two testbeds for the same migrations start at the same time in one process', async () => {
    const p = await project({ migrations: 2 })
    const [a, b] = await Promise.all([startTestbed(optionsFor(p)), startTestbed(optionsFor(p))])
    try {
      expect([a.template.status, b.template.status].sort()).toEqual(['built', 'reused'])
      expect(a.info.template).toBe(b.info.template)
    } finally {
      await a.close()
      await b.close()
    }
  })

  test('should hand out pool clones when pool is set, and drop the unclaimed ones on close', async () => {
    const p = await project({ migrations: 1 })
    const testbed = await startTestbed(optionsFor(p, { pool: 2 }))
    try {
      expect(testbed.info).toMatchObject({ pool: true, poolSize: 2 })
      await testbed.whenPoolFull()
      await using db = await cloneDatabase(testbed.info)
      expect(db.fromPool).toBe(true)
      expect(await publicTables(db.url)).toEqual(['goose_db_version', 't1'])
    } finally {
      await testbed.close()
    }
    expect((await projectDatabases(p.project)).map((d) => d.kind)).toEqual(['template'])
  })

  test('should keep one ready clone per worker by default, none with pool: 0, and leave nothing behind', async () => {
    const p = await project({ migrations: 1 })
    const testbed = await startTestbed(optionsFor(p, { workers: 5 }))
    try {
      expect(testbed.info).toMatchObject({ pool: true, poolSize: 5 })
      await testbed.whenPoolFull()
      const ready = (await projectDatabases(p.project)).filter((d) => d.kind === 'pool')
      expect(ready).toHaveLength(5)
      await using db = await cloneDatabase(testbed.info, { label: 'a.test.ts' })
      expect(db.fromPool).toBe(true)
    } finally {
      await testbed.close()
    }
    expect((await projectDatabases(p.project)).map((d) => d.kind)).toEqual(['template'])

    const off = await startTestbed(optionsFor(p, { pool: 0, workers: 3 }))
    try {
      expect(off.info).toMatchObject({ pool: false, poolSize: 0 })
      await using db = await cloneDatabase(off.info, { label: 'b.test.ts' })
      expect(db.fromPool).toBe(false)
      expect((await projectDatabases(p.project)).map((d) => d.kind).sort()).toEqual([
        'clone',
        'template',
      ])
    } finally {
      await off.close()
    }
  })

  test('should refuse something that is not a testbed info', async () => {
    const error = await cloneDatabase({ template: 'x' } as never).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
    expect((error as Error).message).toContain('needs the `info` of a testbed')
  })
})
