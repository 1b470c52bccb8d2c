import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closeAdminPools } from '../../src/templates/admin.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import type { TestbedOptions } from '../../src/testbed/types.js'
import {
  cleanupCacheDir,
  eventually,
  processesMentioning,
  tempCacheDir,
} from '../helpers/servers.js'
import { gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { publicTables } from '../helpers/pg.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, '../fixtures/templates/child.mjs')
const DIST = path.join(here, '../../dist/index.js')

let cacheDir: string
let p: GooseProject

beforeAll(async () => {
  cacheDir = tempCacheDir()
  p = await gooseProject({ migrations: 5 })
})
afterAll(async () => {
  await closeAdminPools()
  await cleanupCacheDir(cacheDir)
  // The databases lived in the embedded server's data folder (in memory or in the cache folder),
  // which cleanupCacheDir deleted with the server's data.
  await p.cleanup().catch(() => {})
})

function options(extra: TestbedOptions = {}): TestbedOptions {
  return { server: 'embedded', cacheDir, cwd: p.cwd, env: {}, ...extra }
}

describe('testbed on the embedded server', () => {
  test('should build once, keep the template across runs (server stopped in between), and hand out clones and pool clones', async () => {
    const first = await startTestbed(options())
    const dataDir = path.join(cacheDir, 'embedded')
    try {
      expect(first.summary).toMatch(
        /^embedded PostgreSQL 18 · goose · 5 migrations · template pgtestbed_tpl_[0-9a-f]{8} built · \d+ ms$/,
      )
      await using db = await cloneDatabase(first.info, { label: 'embedded.test.ts' })
      expect(await publicTables(db.url)).toEqual(['goose_db_version', 't1', 't2', 't3', 't4', 't5'])
      const leaked = new pg.Client({
        connectionString: db.url,
        application_name: 'embedded.test.ts',
      })
      leaked.on('error', () => {})
      await leaked.connect()
      const result = await db.drop()
      expect(result.leakedConnections.map((c) => c.applicationName)).toEqual(['embedded.test.ts'])
      await leaked.end().catch(() => {})
    } finally {
      await first.close()
    }
    // Last one out: the shared server stops when this process releases it.
    expect(await eventually(() => processesMentioning(dataDir).length === 0, 15_000)).toBe(true)

    const second = await startTestbed(options({ pool: 2 }))
    try {
      expect(second.template).toMatchObject({
        status: 'reused',
        applied: 0,
        name: first.info.template,
      })
      await second.whenPoolFull()
      await using pooled = await cloneDatabase(second.info)
      expect(pooled.fromPool).toBe(true)
      expect(await publicTables(pooled.url)).toContain('t5')
    } finally {
      await second.close()
    }
  })

  test('should build once when 8 processes start on the shared embedded server at once', async () => {
    if (!existsSync(DIST))
      throw new Error(`${DIST} is missing: run \`npx tsup\` in packages/core first`)
    const q = await gooseProject({ migrations: 8 })
    try {
      const startAt = Date.now() + 1500
      const input = {
        options: { server: 'embedded', cacheDir, cwd: q.cwd, env: {}, sweep: false },
        startAt,
      }
      const results = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
              const child = spawn(process.execPath, [CHILD, 'testbed'], {
                env: { ...process.env, PGTESTBED_CHILD: JSON.stringify(input) },
                stdio: ['ignore', 'pipe', 'pipe'],
              })
              let out = ''
              let err = ''
              child.stdout.on('data', (d) => (out += d))
              child.stderr.on('data', (d) => (err += d))
              child.on('close', (code) => resolve({ code, out, err }))
            }),
        ),
      )
      for (const r of results) expect(r.code, r.err).toBe(0)
      const outputs = results.map(
        (r) =>
          JSON.parse(r.out.trim().split('\n').pop()!) as {
            status: string
            clone: string
            template: string
          },
      )
      expect(outputs.filter((o) => o.status === 'built')).toHaveLength(1)
      expect(new Set(outputs.map((o) => o.template)).size).toBe(1)
      expect(new Set(outputs.map((o) => o.clone)).size).toBe(8)
    } finally {
      await q.cleanup().catch(() => {})
    }
  })

  test("should offer the extensions the README lists for the embedded server, and not pgvector's", async () => {
    await using testbed = await startTestbed(options())
    await using db = await cloneDatabase(testbed.info, { label: 'extensions' })
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const { rows } = await client.query<{ name: string }>(
        'SELECT name FROM pg_available_extensions',
      )
      const names = rows.map((r) => r.name)
      expect(names).toEqual(expect.arrayContaining(EMBEDDED_EXTENSIONS))
      expect(names).not.toContain('vector')
    } finally {
      await client.end()
    }
  })
})

/** The extensions the README's "The embedded server" section names. */
const EMBEDDED_EXTENSIONS = [
  'pgcrypto',
  'uuid-ossp',
  'citext',
  'hstore',
  'pg_trgm',
  'ltree',
  'btree_gist',
  'postgres_fdw',
  'pg_stat_statements',
  'tablefunc',
  'unaccent',
]
