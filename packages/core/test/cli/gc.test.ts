import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encodeRecord, newRecord } from '../../src/templates/ownership.js'
import { TEST_SERVER_URL, withAdmin } from '../helpers/pg.js'
import { runCli } from './run-cli.js'

/** `user@host:port` of the test server, as the CLI names it. */
const SERVER = (() => {
  const url = new URL(TEST_SERVER_URL)
  return `${url.username}@${url.hostname}:${url.port || 5432}`
})()

describe('pgtestbed gc', () => {
  it('should list what it would drop and what it leaves alone with --dry-run, and drop nothing', async () => {
    const id = randomBytes(6).toString('hex')
    // A clone whose owner (this test process) is alive: the default sweep keeps it, so other
    // test runs sweeping this shared server leave it alone; --older-than 0s --force makes it a leftover.
    const clone = `pgtestbed_c_h9gc_${id}`
    // A database with our prefix but no ownership record: never dropped.
    const foreign = `pgtestbed_h9gc_foreign_${id}`
    await withAdmin(async (admin) => {
      await admin.query(`CREATE DATABASE "${clone}"`)
      const record = encodeRecord(
        newRecord({
          kind: 'clone',
          project: `h9-cli-${id}`,
          template: 'pgtestbed_tpl_h9gc',
          label: 'gc.test.ts',
        }),
      )
      await admin.query(`COMMENT ON DATABASE "${clone}" IS '${record.replace(/'/g, "''")}'`)
      await admin.query(`CREATE DATABASE "${foreign}"`)
    })
    try {
      const kept = await runCli(['gc', '--dry-run', '--url', TEST_SERVER_URL])
      expect(kept.code).toBe(0)
      expect(kept.stdout).toMatch(
        new RegExp(
          String.raw`^pgtestbed: gc on ${SERVER.replace(/\./g, '\\.')} \(dry run: nothing is dropped\)\n`,
          'm',
        ),
      )
      expect(kept.stdout).toMatch(
        new RegExp(`  ${clone} +clone +its owner \\(pid ${process.pid} on .*\\) is still running`),
      )
      expect(kept.stdout).toMatch(
        new RegExp(
          `  ${foreign} +- +no pgtestbed ownership record: not created by pgtestbed, never dropped`,
        ),
      )

      // --older-than alone never collects a live run's database: only --force does.
      const live = await runCli(['gc', '--dry-run', '--older-than', '0s', '--format', 'json'], {
        env: { PGTESTBED_URL: TEST_SERVER_URL },
      })
      expect(live.code).toBe(0)
      const liveReport = JSON.parse(live.stdout) as {
        dropped: { name: string }[]
        kept: { name: string; reason: string }[]
      }
      expect(liveReport.dropped.map((e) => e.name)).not.toContain(clone)
      expect(liveReport.kept).toContainEqual({
        name: clone,
        kind: 'clone',
        reason: expect.stringMatching(
          /^its owner \(pid \d+ on .*\) is still running \(`pgtestbed gc --force` drops it anyway\)$/,
        ),
      })

      const run = await runCli(
        ['gc', '--dry-run', '--older-than', '0s', '--force', '--format', 'json'],
        { env: { PGTESTBED_URL: TEST_SERVER_URL } },
      )
      expect(run.code).toBe(0)
      const report = JSON.parse(run.stdout) as {
        dryRun: boolean
        dropped: { name: string; kind?: string; reason: string }[]
        kept: { name: string; reason: string }[]
      }
      expect(report.dryRun).toBe(true)
      expect(report.dropped).toContainEqual({
        name: clone,
        kind: 'clone',
        reason: expect.stringMatching(/^older than ttlMs \(0 min\); owner pid \d+ on /),
      })
      expect(report.kept).toContainEqual(expect.objectContaining({ name: foreign }))

      const still = await withAdmin((admin) =>
        admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1', [
          [clone, foreign],
        ]),
      )
      expect(still.rows.map((r) => r.datname)).toEqual([clone, foreign].sort())
    } finally {
      await withAdmin(async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS "${clone}" WITH (FORCE)`)
        await admin.query(`DROP DATABASE IF EXISTS "${foreign}" WITH (FORCE)`)
      })
    }
  })

  it('should never print the password of the server URL, even when the server is unreachable', async () => {
    const url = new URL(TEST_SERVER_URL)
    url.password = 's3cr3t-pw'
    url.port = '1' // nothing listens there
    const run = await runCli(['gc', '--dry-run', '--url', url.toString()])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain('SERVER_UNREACHABLE')
    expect(`${run.stdout}${run.stderr}`).not.toContain('s3cr3t-pw')
  })

  it('should exit 2 for a duration it cannot read', async () => {
    const run = await runCli(['gc', '--dry-run', '--older-than', 'soon', '--url', TEST_SERVER_URL])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('pgtestbed: INVALID_OPTIONS "soon" is not a duration')
    expect(run.stderr).toContain('fix: write it as a number with a unit: 90s, 30m, 24h or 3d')
  })
})
