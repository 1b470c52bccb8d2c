import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { databasesOf, dropDatabasesOf } from '../helpers/databases.js'
import { copyFixture, runJest, SERVER_URL, type FixtureCopy } from '../helpers/jest-run.js'

const HOST_PORT = new URL(SERVER_URL).host.replace(/\./g, '\\.')

interface Report {
  pid: number
  worker: string
  database: string
}

function readReports(dir: string): Record<string, Report> {
  return Object.fromEntries(
    readdirSync(dir).map((f) => [
      path.basename(f, '.json'),
      JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Report,
    ]),
  )
}

describe.each([30, 29] as const)('basic project on Jest %i (PGTESTBED_URL)', (lane) => {
  const copy: FixtureCopy = copyFixture('basic', lane)
  const migrations = path.join(copy.dir, 'migrations')
  const out = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-jest-e2e-'))

  afterAll(async () => {
    try {
      await dropDatabasesOf(migrations)
    } finally {
      copy.remove()
      rmSync(out, { recursive: true, force: true })
    }
  })

  test('should give each test file its own database, even in parallel workers', async () => {
    const result = await runJest(copy, ['--maxWorkers=2'], {
      env: { PGTESTBED_URL: SERVER_URL, E2E_OUT: out },
    })
    expect(result.stderr).toContain('Tests:       3 passed, 3 total')
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(
      new RegExp(
        String.raw`\[pgtestbed\] PostgreSQL 15 at ${HOST_PORT} · goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} built · 1 warning · \d+ ms`,
      ),
    )
    // Warnings are one line for the run (not one per worker or file), naming the command that
    // shows them; the details are `pgtestbed check`'s.
    const summary =
      '1 warning about the migrations in 1 file (the run goes on; `npx pgtestbed check` shows them)'
    expect(result.stderr.split(summary).length - 1).toBe(1)
    expect(result.stderr).not.toContain('LINT_LOCK_TIMEOUT_MISSING')
    const reports = readReports(out)
    expect(Object.keys(reports).sort()).toEqual(['one', 'three', 'two'])
    const databases = Object.values(reports).map((r) => r.database)
    expect(new Set(databases).size).toBe(3)
    for (const name of databases) expect(name).toMatch(/^pgtestbed_c_/)
    // The files ran in Jest's worker processes, which got the template through process.env.
    for (const report of Object.values(reports)) expect(report.pid).not.toBe(result.pid)
  })

  test('should leave only the reusable template behind after the run', async () => {
    const left = await databasesOf(migrations)
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })

  test('should reuse the template on the next run', async () => {
    const result = await runJest(copy, ['--maxWorkers=2'], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(
      /goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} reused/,
    )
    expect(result.stderr).not.toContain('building template')
    const left = await databasesOf(migrations)
    expect(left.map((d) => d.kind)).toEqual(['template'])
  })
})
