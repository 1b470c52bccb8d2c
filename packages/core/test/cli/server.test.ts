import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startEmbeddedServer,
  type EmbeddedPostgresServer,
} from '../../src/servers/embedded/server.js'
import { encodeRecord, newRecord } from '../../src/templates/ownership.js'
import { memoryRootFor } from '../../src/servers/embedded/memory.js'
import { DEFAULT_MEMORY_DIR } from '../../src/servers/embedded/storage.js'
import {
  cleanupCacheDir,
  eventually,
  memoryFolders,
  portOpen,
  tempCacheDir,
} from '../helpers/servers.js'
import { runCli } from './run-cli.js'

describe('pgtestbed server status and stop, with nothing running', () => {
  let cacheDir: string
  beforeAll(() => {
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-cli-server-'))
  })
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

  it('should say that no embedded server runs, and stop nothing', async () => {
    const status = await runCli(['server', 'status'], { env: { PGTESTBED_CACHE_DIR: cacheDir } })
    expect(status.code).toBe(0)
    const [first, ...rest] = status.stdout.split('\n')
    expect(first).toBe(`pgtestbed: no embedded server is running for ${cacheDir}`)
    // Then what /dev/shm holds of pgtestbed's (every workspace's), where it is usable.
    if (rest.length > 1) expect(rest[0]).toMatch(/^memory in \/dev\/shm: pgtestbed's data takes /)

    const stop = await runCli(['server', 'stop', '--cache-dir', cacheDir])
    expect(stop.code).toBe(0)
    expect(stop.stdout).toBe(
      `pgtestbed: no embedded server is running for ${cacheDir}; nothing to stop\n`,
    )
  })

  it('should list no server as JSON', async () => {
    const status = await runCli(['server', 'status', '--cache-dir', cacheDir, '--format', 'json'])
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toEqual(expect.objectContaining({ cacheDir, servers: [] }))
  })
})

async function createOwnedDatabase(
  adminUrl: string,
  name: string,
  record: ReturnType<typeof newRecord>,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
    await client.query(`COMMENT ON DATABASE "${name}" IS '${encodeRecord(record)}'`)
  } finally {
    await client.end()
  }
}

describe('pgtestbed server status and stop, with an embedded server', () => {
  let cacheDir: string
  let server: EmbeddedPostgresServer | undefined

  beforeAll(() => {
    cacheDir = tempCacheDir()
  })
  afterAll(async () => {
    await server?.release().catch(() => {})
    await cleanupCacheDir(cacheDir)
  })

  it('should show the server, its users and its databases, and stop it once no test run uses it', async () => {
    server = await startEmbeddedServer({ cacheDir })
    const template = 'pgtestbed_tpl_h9cli0123456789abcdef0123456789ab'
    const kept = 'pgtestbed_c_h9cli0123456_0123456789abcdef'
    await createOwnedDatabase(
      server.adminUrl,
      template,
      newRecord({
        kind: 'template',
        project: 'h9-cli',
        fingerprint: 'f'.repeat(64),
        complete: true,
      }),
    )
    await createOwnedDatabase(server.adminUrl, kept, {
      ...newRecord({ kind: 'clone', project: 'h9-cli', template, label: 'test/users.test.ts' }),
      kept: true,
      keptAt: new Date().toISOString(),
    })

    const status = await runCli(['server', 'status', '--cache-dir', cacheDir])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(
      `embedded PostgreSQL ${server.majorVersion}: running, pid ${server.pid}, port ${server.port}\n`,
    )
    // Where the data lives: in memory (a tmpfs) by default, else on disk.
    const medium = server.storage.medium === 'memory' ? 'in memory, \\d+ [KM]iB' : 'on disk'
    expect(status.stdout).toMatch(new RegExp(`  data       ${server.dataDir} \\(${medium}\\)\n`))
    // This test process holds the server (as a test run would).
    expect(status.stdout).toContain(`  attached   1 process: pid ${process.pid}\n`)
    expect(status.stdout).toContain('  databases  1 template, 1 kept, 0 other\n')
    expect(status.stdout).toMatch(new RegExp(`    ${template} +template\\n`))
    expect(status.stdout).toMatch(
      new RegExp(`    ${kept} +kept clone of test/users\\.test\\.ts\\n`),
    )

    const json = await runCli(['server', 'status', '--cache-dir', cacheDir, '--format', 'json'])
    const report = JSON.parse(json.stdout) as { servers: Array<Record<string, unknown>> }
    expect(report.servers).toEqual([
      expect.objectContaining({
        running: true,
        pid: server.pid,
        port: server.port,
        dataDir: server.dataDir,
        attached: [process.pid],
        databases: expect.arrayContaining([
          expect.objectContaining({
            name: kept,
            kind: 'clone',
            kept: true,
            label: 'test/users.test.ts',
          }),
        ]),
      }),
    ])

    // URLs are printed only on request; the log is always named (SERVER_LOST points here).
    expect(status.stdout).not.toContain('postgres://')
    expect(status.stdout).toMatch(/\n {2}log {8}\/.*postgres\.log\n/)
    const shown = await runCli(['server', 'status', '--cache-dir', cacheDir, '--show-url'])
    expect(shown.stdout).toContain(`  url        ${server.adminUrl}\n`)
    expect(shown.stdout).toContain(`\n      ${server.urlFor(kept)}\n`)
    const shownJson = JSON.parse(
      (
        await runCli([
          'server',
          'status',
          '--cache-dir',
          cacheDir,
          '--format',
          'json',
          '--show-url',
        ])
      ).stdout,
    ) as { servers: Array<{ url: string; databases: Array<{ name: string; url?: string }> }> }
    expect(shownJson.servers[0]?.url).toBe(server.adminUrl)
    expect(shownJson.servers[0]?.databases.find((d) => d.name === kept)?.url).toBe(
      server.urlFor(kept),
    )

    const refused = await runCli(['server', 'stop', '--cache-dir', cacheDir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `pgtestbed: left the embedded server (pid ${server.pid}, port ${server.port}, data ${server.dataDir}) running: 1 process still uses it`,
    )
    expect(refused.stderr).toContain('pgtestbed server stop --force')
    expect(await portOpen(server.port)).toBe(true)

    // What a run that kept a failed file's database does: it lets go but leaves the server up.
    await server.release({ keepRunning: true })
    const stopped = await runCli(['server', 'stop', '--cache-dir', cacheDir])
    expect(stopped.code).toBe(0)
    expect(stopped.stdout).toBe(
      `pgtestbed: stopped the embedded server (pid ${server.pid}, port ${server.port}, data ${server.dataDir})\n`,
    )
    expect(await eventually(async () => !(await portOpen(server!.port)))).toBe(true)
    // Its data in memory holds a kept database: recorded, so the memory budget never evicts it.
    if (server.storage.medium === 'memory') {
      const record = path.join(cacheDir, 'embedded', `pg${server.majorVersion}`, 'kept.json')
      expect(
        (JSON.parse(readFileSync(record, 'utf8')) as { databases: string[] }).databases,
      ).toEqual([kept])
    }

    const after = await runCli(['server', 'status', '--cache-dir', cacheDir])
    expect(after.stdout).toContain(`pgtestbed: no embedded server is running for ${cacheDir}\n`)
    expect(after.stdout).toContain(`embedded PostgreSQL ${server.majorVersion}: not running\n`)
    expect(after.stdout).toContain('  attached   no process\n')
    server = undefined
  })

  it('should delete the data of a stopped server with --remove-data, and keep that of a server in use', async () => {
    server = await startEmbeddedServer({ cacheDir })
    const dataDir = server.dataDir
    const refused = await runCli(['server', 'stop', '--remove-data', '--cache-dir', cacheDir])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `pgtestbed: left the embedded server (pid ${server.pid}, port ${server.port}, data ${dataDir}) running, with its data: 1 process still uses it`,
    )
    expect(refused.stderr).toContain('`pgtestbed server stop --force --remove-data`')
    expect(existsSync(dataDir)).toBe(true)

    await server.release({ keepRunning: true })
    const stopped = await runCli(['server', 'stop', '--remove-data', '--cache-dir', cacheDir])
    expect(stopped.code).toBe(0)
    expect(stopped.stdout).toBe(
      [
        `pgtestbed: stopped the embedded server (pid ${server.pid}, port ${server.port}, data ${dataDir})`,
        `pgtestbed: removed the data folder ${dataDir} (its templates and databases)`,
        'pgtestbed: the next test run starts a fresh server',
        '',
      ].join('\n'),
    )
    expect(existsSync(dataDir)).toBe(false)
    // Nothing of this cache folder is left in /dev/shm either.
    expect(memoryFolders()).not.toContain(
      path.basename(memoryRootFor(DEFAULT_MEMORY_DIR, cacheDir)),
    )
    expect(await eventually(async () => !(await portOpen(server!.port)))).toBe(true)
    const status = await runCli(['server', 'status', '--cache-dir', cacheDir, '--format', 'json'])
    expect(JSON.parse(status.stdout)).toEqual(expect.objectContaining({ cacheDir, servers: [] }))
    server = undefined
  })

  it('should stop a server that a test run still uses with --force', async () => {
    server = await startEmbeddedServer({ cacheDir })
    const stopped = await runCli(['server', 'stop', '--force', '--cache-dir', cacheDir])
    expect(stopped.code).toBe(0)
    expect(stopped.stdout).toContain(`pgtestbed: stopped the embedded server (pid ${server.pid}`)
    expect(await eventually(async () => !(await portOpen(server!.port)))).toBe(true)
  })
})
