import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { closeAdminPools } from '../../src/templates/admin.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import { gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { cleanupCacheDir, tempCacheDir } from '../helpers/servers.js'
import { runCli } from './run-cli.js'

let cacheDir: string
let p: GooseProject
beforeAll(async () => {
  cacheDir = tempCacheDir()
  p = await gooseProject({ migrations: 1 })
})
afterAll(async () => {
  await closeAdminPools()
  await cleanupCacheDir(cacheDir)
  await p.cleanup().catch(() => {})
})

/** True when the database at `url` accepts a connection. */
async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  client.on('error', () => {})
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

describe('pgtestbed gc on the embedded server a failed test left up', () => {
  it('should leave the server up while kept databases remain, drop them with --older-than, then say it stopped it', async () => {
    const testbed = await startTestbed({ server: 'embedded', cacheDir, cwd: p.cwd, env: {} })
    const db = await cloneDatabase(testbed.info, { label: 'failing.test.ts' })
    const url = await db.keep()
    await testbed.close({ keepServer: true })
    const env = { PGTESTBED_CACHE_DIR: cacheDir }

    const dry = await runCli(['gc', '--dry-run', '--older-than', '0s'], { cwd: p.cwd, env })
    expect(dry.code).toBe(0)
    // A dry run changes nothing, the server included.
    expect(dry.stdout).toMatch(/would drop 1 database:\n.*kept for debugging/)
    expect(dry.stderr).toContain('pgtestbed: left the embedded server running as it was')
    expect(await reachable(url)).toBe(true)

    const young = await runCli(['gc'], { cwd: p.cwd, env })
    expect(young.stdout).toMatch(/kept for debugging \(dropped .* from now\)/)
    expect(young.stderr).toContain(
      'pgtestbed: left the embedded server running for the 1 kept database on it',
    )
    expect(await reachable(url)).toBe(true)

    const old = await runCli(['gc', '--older-than', '0s'], { cwd: p.cwd, env })
    expect(old.code).toBe(0)
    expect(old.stdout).toMatch(/kept for debugging .* ago, longer than keptTtlMs \(0 min\)/)
    expect(old.stderr).toContain(
      'pgtestbed: stopped the embedded server: no kept database is left on it',
    )
    expect(await reachable(url)).toBe(false)
  })
})
