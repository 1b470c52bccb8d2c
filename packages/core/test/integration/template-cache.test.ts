import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import type { ProgressStep, Reporter } from '../../src/progress.js'
import { withAdminClient } from '../../src/templates/admin.js'
import { ensureTemplate, type EnsureTemplateOptions } from '../../src/templates/build.js'
import { cacheEntryPath, writeCacheEntry } from '../../src/templates/cache-entry.js'
import { computeFingerprint } from '../../src/templates/fingerprint.js'
import { projectKeyFor } from '../../src/templates/naming.js'
import { readDatabase } from '../../src/templates/ownership.js'
import { resolveSeeds } from '../../src/templates/seeds.js'
import { startTestbed } from '../../src/testbed/start.js'
import {
  dropProjectDatabases,
  projectDatabases,
  useGooseProjects,
  type GooseProject,
} from '../helpers/goose-project.js'
import { queryRows, TEST_SERVER_URL, testDatabaseUrl, withAdmin } from '../helpers/pg.js'

const project = useGooseProjects()
const folders: string[] = []
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function cacheFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-template-cache-'))
  folders.push(dir)
  return dir
}

async function options(
  p: GooseProject,
  templateCache: string,
  seeds: string[] = [],
): Promise<EnsureTemplateOptions & { reporter: Reporter & { lines: string[] } }> {
  const set = await discoverMigrations({ migrations: 'migrations', cwd: p.cwd, env: {} })
  const seedFiles = await resolveSeeds(seeds, p.cwd)
  const fingerprint = await computeFingerprint({ set, serverMajor: 15, seeds: seedFiles })
  const lines: string[] = []
  const step = (label: string): ProgressStep => {
    lines.push(`step ${label}`)
    return {
      update: (detail) => lines.push(`update ${detail}`),
      done: (summary) => lines.push(`done ${summary ?? label}`),
      fail: (reason) => lines.push(`fail ${reason ?? ''}`),
    }
  }
  const reporter = {
    lines,
    step,
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
  }
  return {
    adminUrl: TEST_SERVER_URL,
    set,
    fingerprint,
    project: p.project,
    seeds: seedFiles,
    templateCache,
    reporter,
  }
}

/** What a template holds: every column, index, function, the goose rows and the seed rows. */
async function contents(template: string): Promise<unknown> {
  // A template accepts no connections: read a plain copy of it.
  const copy = `pgtestbed_test_copy_${Date.now()}`
  await withAdmin((c) => c.query(`CREATE DATABASE ${copy} TEMPLATE ${template}`))
  try {
    const url = testDatabaseUrl(copy)
    return {
      columns: await queryRows(
        url,
        `SELECT table_name, column_name, data_type, column_default, is_nullable
           FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
      ),
      indexes: await queryRows(
        url,
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
      ),
      functions: await queryRows(
        url,
        `SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
      ),
      versions: await queryRows(
        url,
        'SELECT id, version_id, is_applied, tstamp FROM goose_db_version ORDER BY id',
      ),
      seeded: await queryRows(url, 'SELECT id, name FROM t1 ORDER BY id'),
    }
  } finally {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${copy}`))
  }
}

describe('templateCache', () => {
  test('should save a built template and restore it on a fresh server instead of applying the migrations, identical and sealed like a built one', async () => {
    const p = await project({ migrations: 4 })
    await writeFile(path.join(p.cwd, 'seed.sql'), "INSERT INTO t1 (name) VALUES ('seeded');\n")
    const dir = await cacheFolder()
    const first = await options(p, dir, ['seed.sql'])
    const built = await ensureTemplate(first)
    expect(built).toMatchObject({ status: 'built', applied: 4 })
    const file = cacheEntryPath(dir, first.fingerprint.hash)
    expect(first.reporter.lines).toContain(`info template cache: saved ${built.name} to ${file}`)
    const before = await contents(built.name)

    // A fresh server: nothing of this project is left on it, only the cache folder.
    await dropProjectDatabases(p.project)
    const second = await options(p, dir, ['seed.sql'])
    const restored = await ensureTemplate(second)
    expect(restored).toMatchObject({ name: built.name, status: 'restored', applied: 0 })
    expect(second.reporter.lines.filter((l) => l.startsWith('update applying'))).toEqual([])
    expect(second.reporter.lines).toContain(
      `done restored template ${built.name} from the template cache ${file} (no migrations applied)`,
    )
    expect(await contents(restored.name)).toEqual(before)
    const entry = await withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, restored.name))
    expect(entry).toMatchObject({ isTemplate: true, allowConnections: false })
    expect(entry?.record).toMatchObject({
      kind: 'template',
      complete: true,
      project: p.project,
      fingerprint: first.fingerprint.hash,
    })
    expect(await projectDatabases(p.project)).toEqual([
      { name: built.name, kind: 'template', isTemplate: true },
    ])

    // Reused from now on, like any template.
    expect(await ensureTemplate(await options(p, dir, ['seed.sql']))).toMatchObject({
      status: 'reused',
    })
  })

  test('should build from the migrations when the migrations changed (another fingerprint), and save that template beside the old one', async () => {
    const p = await project({ migrations: 2 })
    const dir = await cacheFolder()
    const before = await options(p, dir)
    const old = await ensureTemplate(before)
    await p.write('00003_step_3.sql', '-- +goose Up\nCREATE TABLE added (id int);\n')
    const changed = await options(p, dir)
    const result = await ensureTemplate(changed)
    expect(result).toMatchObject({ status: 'built', applied: 3 })
    expect(result.name).not.toBe(old.name)
    expect(changed.reporter.lines.filter((l) => l.startsWith('warn'))).toEqual([])
    expect((await readdir(dir)).sort()).toEqual(
      [cacheEntryPath(dir, before.fingerprint.hash), cacheEntryPath(dir, changed.fingerprint.hash)]
        .map((f) => path.basename(f))
        .sort(),
    )
  })

  test.each([
    [
      'truncated',
      (text: string) => text.slice(0, Math.floor(text.length / 2)),
      'its contents do not match its checksum (truncated or edited)',
    ],
    [
      'not an entry',
      () => 'CREATE TABLE evil (id int);\n',
      'its first line is not a pgtestbed cache header',
    ],
    [
      'of another fingerprint',
      (text: string) =>
        text.replace(/"fingerprint":"[0-9a-f]+"/, `"fingerprint":"${'0'.repeat(64)}"`),
      'it holds fingerprint 000000000000…',
    ],
  ])(
    'should ignore an entry that is %s, say so, build from the migrations and replace it',
    async (_what, damage, why) => {
      const p = await project({ migrations: 2 })
      const dir = await cacheFolder()
      const first = await options(p, dir)
      await ensureTemplate(first)
      const file = cacheEntryPath(dir, first.fingerprint.hash)
      const good = await readFile(file, 'utf8')
      await writeFile(file, damage(good))
      await dropProjectDatabases(p.project)

      const again = await options(p, dir)
      const result = await ensureTemplate(again)
      expect(result).toMatchObject({ status: 'built', applied: 2 })
      expect(again.reporter.lines).toContain(
        `warn template cache: ignoring ${file}: ${why}; building ${result.name} from the migrations`,
      )
      expect(await readFile(file, 'utf8')).toMatch(/^-- pgtestbed template cache \{/)
      expect(await readFile(file, 'utf8')).not.toBe(damage(good))
    },
  )

  test('should build from the migrations, leaving nothing of the entry behind, when a sound entry fails on this server', async () => {
    const p = await project({ migrations: 2 })
    const dir = await cacheFolder()
    const first = await options(p, dir)
    // Right header and checksum, but SQL that fails half-way (a role this server lacks, say).
    await writeCacheEntry(
      dir,
      {
        fingerprint: first.fingerprint.hash,
        serverMajor: 15,
        serverVersion: '15.0',
        dumpedWith: 'test',
      },
      'CREATE TABLE half_restored (id int);\nSELECT 1 / 0;\n',
    )
    const result = await ensureTemplate(first)
    expect(result).toMatchObject({ status: 'built', applied: 2 })
    expect(first.reporter.lines).toContainEqual(
      expect.stringMatching(
        /^warn template cache: .* does not restore on this server \(ERROR 22012: division by zero; .*\); building/,
      ),
    )
    const tables = (await contents(result.name).catch(() => undefined)) as
      { columns: Array<{ table_name: string }> } | undefined
    expect(tables?.columns.map((c) => c.table_name)).not.toContain('half_restored')
    expect(await projectDatabases(p.project)).toEqual([
      { name: result.name, kind: 'template', isTemplate: true },
    ])
  })

  test('should not run a migrate function again when its template is in the cache (startTestbed, templateCache relative to cwd)', async () => {
    const p = await project({ migrations: 1 })
    const dir = await cacheFolder()
    let runs = 0
    const start = () =>
      startTestbed({
        server: 'url',
        url: TEST_SERVER_URL,
        cwd: p.cwd,
        sweep: false,
        templateCache: path.relative(p.cwd, dir),
        migrate: {
          inputs: ['migrations/**'],
          run: async ({ url }) => {
            runs++
            await queryRows(url, 'CREATE TABLE made_by_run (id int)')
          },
        },
      })
    await (await start()).close()
    expect(runs).toBe(1)
    // A migrate command's project is its cwd.
    await dropProjectDatabases(projectKeyFor(p.cwd))
    const testbed = await start()
    try {
      expect(runs).toBe(1)
      expect(testbed.template.status).toBe('restored')
      expect(testbed.summary).toMatch(/template pgtestbed_tpl_\w+ restored/)
      await using db = await testbed.clone()
      expect(await queryRows(db.url, 'SELECT count(*)::int AS n FROM made_by_run')).toEqual([
        { n: 0 },
      ])
    } finally {
      await testbed.close()
      await dropProjectDatabases(projectKeyFor(p.cwd))
    }
  })
})
