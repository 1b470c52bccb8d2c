import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { dropProjectDatabases, gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { cleanupCacheDir, tempCacheDir } from '../helpers/servers.js'
import { runCli } from './run-cli.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function setup(): Promise<{ p: GooseProject; cache: string }> {
  const p = await gooseProject({ migrations: 3 })
  const cache = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-cli-template-'))
  cleanups.push(
    () => p.cleanup(),
    () => rm(cache, { recursive: true, force: true }),
  )
  return { p, cache }
}

describe('pgtestbed template export / import', () => {
  it('should save the template to a folder, then restore it from there on a server without it', async () => {
    const { p, cache } = await setup()
    const exported = await runCli(['template', 'export', cache, '--url', TEST_SERVER_URL], {
      cwd: p.cwd,
    })
    expect(exported.stderr).toMatch(/built template pgtestbed_tpl_\w+ \(3\/3 migrations\)/)
    expect(exported.code).toBe(0)
    expect(exported.stdout).toMatch(
      /^pgtestbed template export: saved pgtestbed_tpl_\w+ to .*pgtestbed-template-\w+\.sql$/m,
    )
    expect(await readdir(cache)).toHaveLength(1)
    const again = await runCli(['template', 'export', cache, '--url', TEST_SERVER_URL], {
      cwd: p.cwd,
    })
    expect(again.stdout).toMatch(/already holds pgtestbed_tpl_\w+/)

    await dropProjectDatabases(p.project)
    const imported = await runCli(['template', 'import', cache, '--url', TEST_SERVER_URL], {
      cwd: p.cwd,
    })
    expect(imported.code).toBe(0)
    expect(imported.stdout).toMatch(/^pgtestbed template import: restored pgtestbed_tpl_\w+ from /m)
  })

  it('should fail with TEMPLATE_CACHE_FAILED and the fix when pg_dump is missing', async () => {
    const { p, cache } = await setup()
    const run = await runCli(['template', 'export', cache, '--url', TEST_SERVER_URL], {
      cwd: p.cwd,
      env: { PGTESTBED_PG_DUMP: '/nonexistent/pg_dump' },
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/TEMPLATE_CACHE_FAILED/)
    expect(run.stderr).toMatch(/\/nonexistent\/pg_dump is not installed/)
    expect(await readdir(cache)).toEqual([])
    await dropProjectDatabases(p.project)
  })

  it('should save the embedded server’s cluster, and start a new embedded server from it', async () => {
    const { p, cache } = await setup()
    const servers = [tempCacheDir(), tempCacheDir()]
    cleanups.push(...servers.map((dir) => () => cleanupCacheDir(dir)))
    // Without a pg_dump the SQL entry is left out, silently: the cluster serves new servers.
    const env = (cacheDir: string) => ({
      PGTESTBED_CACHE_DIR: cacheDir,
      PGTESTBED_PG_DUMP: '/nonexistent/pg_dump',
    })
    const exported = await runCli(['template', 'export', cache], {
      cwd: p.cwd,
      env: env(servers[0]!),
    })
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stderr).not.toMatch(/pg_dump/)
    expect(exported.stdout).toMatch(
      /^pgtestbed template export: saved the embedded server's cluster with pgtestbed_tpl_\w+ to .*embedded-[\d.]+-linux-x64$/m,
    )
    expect(await readdir(cache)).toEqual([expect.stringMatching(/^embedded-/)])
    const again = await runCli(['template', 'export', cache], { cwd: p.cwd, env: env(servers[0]!) })
    expect(again.stdout).toMatch(/already holds the embedded server's cluster with pgtestbed_tpl_/)

    const imported = await runCli(['template', 'import', cache], {
      cwd: p.cwd,
      env: env(servers[1]!),
    })
    expect(imported.code, imported.stderr).toBe(0)
    // Only a server started from the snapshot that held the template says "restored".
    expect(imported.stdout).toMatch(/^pgtestbed template import: restored pgtestbed_tpl_\w+ from /m)
  })
})
