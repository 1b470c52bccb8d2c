import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { TEST_SERVER_URL, withScratchDatabase } from '../helpers/pg.js'
import { fixture, runCli } from './run-cli.js'

// The migrate job's contract (compose, a Kubernetes Job or initContainer): `up --wait` for a
// server that is still starting, `status --check` exit codes, replicas that run `up` at once.

const testServer = new URL(TEST_SERVER_URL)

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * A TCP proxy to the test server on `port`, listening only after `delayMs`: a database that
 * starts seconds after its migrate job.
 */
function lateProxy(port: number, delayMs: number): { stop: () => Promise<void> } {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(testServer.port || 5432), testServer.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => s.destroy())
      s.on('close', () => sockets.delete(s))
    }
    client.pipe(upstream).pipe(client)
  })
  const timer = setTimeout(() => server.listen(port, '127.0.0.1'), delayMs)
  return {
    stop: async () => {
      clearTimeout(timer)
      for (const s of sockets) s.destroy()
      if (server.listening) await new Promise((resolve) => server.close(resolve))
    },
  }
}

function viaPort(url: string, port: number): string {
  const u = new URL(url)
  u.hostname = '127.0.0.1'
  u.port = String(port)
  return u.toString()
}

describe('pgtestbed up --wait', () => {
  it('should wait for a server that starts seconds later, then migrate', async () => {
    await withScratchDatabase(async (client, url) => {
      const port = await freePort()
      const proxy = lateProxy(port, 2500)
      try {
        const started = Date.now()
        const run = await runCli(['up', '--wait', '30s', '--url', viaPort(url, port)], {
          cwd: fixture('goose-clean'),
        })
        expect(run.code).toBe(0)
        expect(Date.now() - started).toBeGreaterThanOrEqual(2500)
        expect(run.stderr).toMatch(
          new RegExp(
            `^pgtestbed: waiting up to 30 s for PostgreSQL at \\S+@127\\.0\\.0\\.1:${port} \\(connection refused \\(nothing listens there\\)\\)\\n$`,
          ),
        )
        expect(run.stdout).toContain('pgtestbed: applied 3 migrations to ')
        const { rows } = await client.query('SELECT count(*)::int AS n FROM goose_db_version')
        expect(rows[0].n).toBe(4) // goose's version 0 and the three migrations
      } finally {
        await proxy.stop()
      }
    })
  })

  it('should give up after the wait naming host:port and the last error, never the password', async () => {
    const port = await freePort()
    const run = await runCli(
      ['up', '--wait', '2s', '--url', `postgres://app:s3cret@127.0.0.1:${port}/app`],
      { cwd: fixture('goose-clean') },
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(
      new RegExp(
        `pgtestbed: SERVER_UNREACHABLE PostgreSQL at app@127\\.0\\.0\\.1:${port} did not accept connections within 2 s \\(\\d+ tries\\); last error: connection refused \\(nothing listens there\\)\\n`,
      ),
    )
    expect(run.stderr).toContain('fix: check that the database service starts')
    expect(run.stderr).not.toContain('s3cret')
  })

  it('should not wait when the server answers with an error waiting cannot fix', async () => {
    const started = Date.now()
    const missing = new URL(TEST_SERVER_URL)
    missing.pathname = '/pgtestbed_no_such_database'
    const run = await runCli(['up', '--wait', '30s', '--url', missing.toString()], {
      cwd: fixture('goose-clean'),
    })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('database "pgtestbed_no_such_database" does not exist')
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe('pgtestbed status --check', () => {
  it('should exit 3 while migrations are pending and 0 once all are applied', async () => {
    await withScratchDatabase(async (_client, url) => {
      const cwd = fixture('goose-clean')
      const before = await runCli(['status', '--check', '--url', url], { cwd })
      expect(before.code).toBe(3)
      expect(before.stderr).toMatch(
        /pgtestbed: \S+ is not up to date: 3 migrations to apply \(status --check exits 3\)\n$/,
      )
      expect((await runCli(['up', '--to', '1', '--url', url], { cwd })).code).toBe(0)
      const partly = await runCli(['status', '--check', '--url', url], { cwd })
      expect(partly.code).toBe(3)
      expect(partly.stderr).toContain('is not up to date: 2 migrations to apply')
      expect((await runCli(['up', '--url', url], { cwd })).code).toBe(0)
      const after = await runCli(['status', '--check', '--url', url], { cwd })
      expect(after.code).toBe(0)
      expect(after.stderr).toBe('')
      // Without --check, pending migrations are only listed.
      expect((await runCli(['status', '--url', url], { cwd: fixture('goose-four') })).code).toBe(0)
    })
  })

  it('should exit 1 when the database is dirty or cannot be read, and 2 on wrong usage', async () => {
    await withScratchDatabase(async (_client, url) => {
      const cwd = fixture('golang-migrate-failing')
      expect((await runCli(['up', '--url', url], { cwd })).code).toBe(1)
      const dirty = await runCli(['status', '--check', '--url', url], { cwd })
      expect(dirty.code).toBe(1)
      expect(dirty.stderr).toContain('is dirty: a migration run failed part-way')
    })
    const port = await freePort()
    const down = await runCli(
      ['status', '--check', '--url', `postgres://app@127.0.0.1:${port}/app`],
      {
        cwd: fixture('goose-clean'),
      },
    )
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('SERVER_UNREACHABLE')
    const usage = await runCli(['status', '--check'], { cwd: fixture('goose-clean') })
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('INVALID_OPTIONS no database to work on')
  })
})

describe('replicas: several `pgtestbed up` at once', () => {
  it('should apply each version once from three processes; the two that waited exit 0 up to date', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-replicas-'))
    try {
      await mkdir(path.join(dir, 'migrations'))
      // The first migration is slow, so the other runs certainly arrive while it holds the lock.
      const files: Record<string, string> = {
        '00001_slow.sql':
          '-- +goose Up\nSELECT pg_sleep(2);\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n',
        '00002_b.sql': '-- +goose Up\nCREATE TABLE b (id int);\n-- +goose Down\nDROP TABLE b;\n',
        '00003_c.sql': '-- +goose Up\nCREATE TABLE c (id int);\n-- +goose Down\nDROP TABLE c;\n',
      }
      for (const [name, sql] of Object.entries(files))
        await writeFile(path.join(dir, 'migrations', name), sql)
      await withScratchDatabase(async (client, url) => {
        const runs = await Promise.all(
          [1, 2, 3].map(() => runCli(['up', '--url', url], { cwd: dir })),
        )
        expect(runs.map((r) => r.code)).toEqual([0, 0, 0])
        const appliers = runs.filter((r) => r.stdout.includes('applied 3 migrations'))
        const waiters = runs.filter((r) =>
          /another run applied the migrations; \S+ \(goose, migrations\/\) is up to date; current version: 3\n$/.test(
            r.stdout,
          ),
        )
        expect(appliers).toHaveLength(1)
        expect(waiters).toHaveLength(2)
        for (const waiter of waiters) {
          expect(waiter.stderr).toMatch(
            /^pgtestbed: waiting for another migration run on \S+: server pid \d+ \(pgtestbed cli pid=\d+\)/,
          )
        }
        const { rows } = await client.query<{ version_id: string; n: number }>(
          'SELECT version_id::text, count(*)::int AS n FROM goose_db_version GROUP BY 1 ORDER BY 1',
        )
        expect(rows).toEqual([
          { version_id: '0', n: 1 },
          { version_id: '1', n: 1 },
          { version_id: '2', n: 1 },
          { version_id: '3', n: 1 },
        ])
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
