import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import type { ProgressStep, Reporter } from '../../src/progress.js'
import { withAdminClient } from '../../src/templates/admin.js'
import { ensureTemplate, type EnsureTemplateOptions } from '../../src/templates/build.js'
import { computeFingerprint } from '../../src/templates/fingerprint.js'
import { lockKeyFor } from '../../src/templates/lock.js'
import { buildNameFor } from '../../src/templates/naming.js'
import { newRecord, readDatabase, writeRecord } from '../../src/templates/ownership.js'
import { resolveSeeds } from '../../src/templates/seeds.js'
import { TEST_SERVER_URL, testDatabaseUrl, withAdmin } from '../helpers/pg.js'
import { projectDatabases, useGooseProjects, type GooseProject } from '../helpers/goose-project.js'

const project = useGooseProjects()

async function options(
  p: GooseProject,
  extra: Partial<EnsureTemplateOptions> & { seeds?: never } = {},
  seedPatterns?: string[],
): Promise<EnsureTemplateOptions> {
  const set = await discoverMigrations({ migrations: 'migrations', cwd: p.cwd, env: {} })
  const seeds = await resolveSeeds(seedPatterns, p.cwd)
  const fingerprint = await computeFingerprint({ set, serverMajor: 15, seeds })
  return { adminUrl: TEST_SERVER_URL, set, fingerprint, project: p.project, seeds, ...extra }
}

/** A reporter that records every step update. */
function recordingReporter(): Reporter & { lines: string[] } {
  const lines: string[] = []
  const step = (label: string): ProgressStep => {
    lines.push(`step ${label}`)
    return {
      update: (detail) => lines.push(`update ${detail}`),
      done: (summary) => lines.push(`done ${summary ?? label}`),
      fail: (reason) => lines.push(`fail ${reason ?? ''}`),
    }
  }
  return { lines, step, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) }
}

async function query<T extends pg.QueryResultRow>(database: string, sql: string): Promise<T[]> {
  // The template refuses connections; read it through a clone-free path: pg_database / a clone.
  const client = new pg.Client({ connectionString: testDatabaseUrl(database) })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

describe('ensureTemplate', () => {
  test('should build a complete, sealed template once and reuse it on the next run without applying anything', async () => {
    const p = await project({ migrations: 4 })
    const reporter = recordingReporter()
    const first = await ensureTemplate({ ...(await options(p)), reporter })
    expect(first.status).toBe('built')
    expect(first.applied).toBe(4)
    expect(reporter.lines).toContain('update applying 3/4: 00003_step_3.sql')

    const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, first.name))
    expect(entry).toMatchObject({ isTemplate: true, allowConnections: false })
    expect(entry?.record).toMatchObject({ kind: 'template', complete: true, project: p.project })

    const second = await ensureTemplate(await options(p))
    expect(second).toMatchObject({ name: first.name, status: 'reused', applied: 0 })
    expect(await projectDatabases(p.project)).toEqual([
      { name: first.name, kind: 'template', isTemplate: true },
    ])
  })

  test('should record the versions in goose_db_version exactly as goose would', async () => {
    const p = await project({ migrations: 2 })
    const { name } = await ensureTemplate(await options(p))
    await withAdmin((c) =>
      c.query(`CREATE DATABASE pgtestbed_test_copy_${process.pid} TEMPLATE ${name}`),
    )
    try {
      const rows = await query<{ version_id: string; is_applied: boolean }>(
        `pgtestbed_test_copy_${process.pid}`,
        'SELECT version_id, is_applied FROM goose_db_version ORDER BY id',
      )
      expect(rows).toEqual([
        { version_id: '0', is_applied: true },
        { version_id: '1', is_applied: true },
        { version_id: '2', is_applied: true },
      ])
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE pgtestbed_test_copy_${process.pid}`))
    }
  })

  test('should leave no template and no build database when a migration fails, with file, line and the PostgreSQL error', async () => {
    const p = await project({
      migrations: 2,
      files: {
        '00003_broken.sql':
          '-- +goose Up\nCREATE TABLE ok (id int);\nINSERT INTO missing_table VALUES (1);\n\n-- +goose Down\nDROP TABLE ok;\n',
      },
    })
    const reporter = recordingReporter()
    const error = await ensureTemplate({ ...(await options(p)), reporter }).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('APPLY_FAILED')
    const message = (error as Error).message
    expect(message).toContain('00003_broken.sql')
    expect(message).toMatch(/line 3/)
    expect(message).toContain('relation "missing_table" does not exist')
    expect(reporter.lines.some((l) => l.startsWith('fail APPLY_FAILED'))).toBe(true)
    expect(await projectDatabases(p.project)).toEqual([])
  })

  test('should drop a crashed build of the same fingerprint and rebuild cleanly', async () => {
    const p = await project({ migrations: 2 })
    const opts = await options(p)
    const leftover = buildNameFor(opts.fingerprint.hash)
    await withAdminClient(TEST_SERVER_URL, async (c) => {
      await c.query(`CREATE DATABASE ${leftover}`)
      await writeRecord(c, leftover, {
        ...newRecord({ kind: 'build', project: p.project, fingerprint: opts.fingerprint.hash }),
        pid: 999_999_999,
      })
    })
    const result = await ensureTemplate(opts)
    expect(result.status).toBe('built')
    expect(await projectDatabases(p.project)).toEqual([
      { name: result.name, kind: 'template', isTemplate: true },
    ])
  })

  test('should refuse to build over a database with the template name that pgtestbed did not create', async () => {
    const p = await project({ migrations: 1 })
    const opts = await options(p)
    await withAdmin((c) => c.query(`CREATE DATABASE ${opts.fingerprint.templateName}`))
    try {
      const error = await ensureTemplate(opts).catch((e: unknown) => e)
      expect(isPgtestbedError(error) && error.code).toBe('TEMPLATE_BUILD_FAILED')
      expect((error as Error).message).toContain('pgtestbed did not create it')
      expect(
        await withAdminClient(TEST_SERVER_URL, (c) =>
          readDatabase(c, opts.fingerprint.templateName),
        ),
      ).toBeDefined()
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${opts.fingerprint.templateName}`))
    }
  })

  test('should give up after lockTimeoutMs with TEMPLATE_LOCK_TIMEOUT naming the session that holds the lock', async () => {
    const p = await project({ migrations: 1 })
    const opts = await options(p)
    const holder = new pg.Client({
      connectionString: TEST_SERVER_URL,
      application_name: 'other build pid=4242',
    })
    await holder.connect()
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [
        lockKeyFor(opts.fingerprint.templateName).key,
      ])
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
        .rows[0]!.pid
      const reporter = recordingReporter()
      const error = await ensureTemplate({ ...opts, lockTimeoutMs: 1500, reporter }).catch(
        (e: unknown) => e,
      )
      expect(isPgtestbedError(error) && error.code).toBe('TEMPLATE_LOCK_TIMEOUT')
      expect((error as Error).message).toContain(`backend pid ${holderPid} ("other build pid=4242"`)
      expect((error as Error).message).toContain(opts.fingerprint.templateName)
      expect(
        reporter.lines.some((l) => l.startsWith('update another process is building it')),
      ).toBe(true)
      expect(await projectDatabases(p.project)).toEqual([])
    } finally {
      await holder.end()
    }
  })

  test('should run seed files into the template, and name the seed file and line when one fails', async () => {
    const p = await project({ migrations: 1 })
    await writeFile(path.join(p.cwd, 'seed.sql'), "INSERT INTO t1 (name) VALUES ('alice');\n")
    const { name } = await ensureTemplate(await options(p, {}, ['seed.sql']))
    const copy = `pgtestbed_test_seed_${process.pid}`
    await withAdmin((c) => c.query(`CREATE DATABASE ${copy} TEMPLATE ${name}`))
    try {
      expect(await query(copy, 'SELECT name FROM t1')).toEqual([{ name: 'alice' }])
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE ${copy}`))
    }

    await writeFile(
      path.join(p.cwd, 'seed.sql'),
      "INSERT INTO t1 (name) VALUES ('bob');\nINSERT INTO nope VALUES (1);\n",
    )
    const error = await ensureTemplate(await options(p, {}, ['seed.sql'])).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('TEMPLATE_BUILD_FAILED')
    expect((error as Error).message).toContain(
      `${path.join(p.cwd, 'seed.sql')}:2 failed while building template database`,
    )
    expect((error as Error).message).toContain(
      'statement 2 (line 2) failed: ERROR 42P01: relation "nope" does not exist',
    )
    expect((error as Error).message).toContain(
      '  statement 2:\n  > 2 | INSERT INTO nope VALUES (1);',
    )
    expect(isPgtestbedError(error) && error.fix).toMatch(
      /^the seed names something the migrations no longer create \(a stale seed\): update statement 2 \(line 2\) of .*seed\.sql/,
    )
    // The first template stays; the failed one left nothing.
    expect((await projectDatabases(p.project)).map((d) => d.name)).toEqual([name])

    // An error without a position (a unique violation) is located by re-running the statements.
    await writeFile(
      path.join(p.cwd, 'seed.sql'),
      "INSERT INTO t1 (id, name) VALUES (1, 'a');\n\nINSERT INTO t1 (id, name)\n  VALUES (1, 'b');\n",
    )
    const duplicate = await ensureTemplate(await options(p, {}, ['seed.sql'])).catch(
      (e: unknown) => e,
    )
    expect((duplicate as Error).message).toContain(
      'seed.sql:3 failed while building template database',
    )
    expect((duplicate as Error).message).toContain('statement 2 (line 3) failed: ERROR 23505')
    expect((duplicate as Error).message).toContain('    detail: Key (id)=(1) already exists.')
    expect(isPgtestbedError(duplicate) && duplicate.fix).toMatch(/^fix statement 2 \(line 3\) of /)
    expect((await projectDatabases(p.project)).map((d) => d.name)).toEqual([name])
  })

  test('should reject a seed pattern that matches no file', async () => {
    const p = await project({ migrations: 1 })
    const error = await resolveSeeds(['seeds/*.sql'], p.cwd).catch((e: unknown) => e)
    expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
    expect((error as Error).message).toContain('seed "seeds/*.sql" matches no file')
  })
})
