import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { resolveServer, stopEmbeddedServer } from '@pgtestbed/core'
import { afterAll, describe, expect, test } from 'vitest'
import { databasesOf, memoryFoldersOf, processesUsing, readRows } from '../helpers/databases.js'
import { runJest } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'

const scratch = useScratch()
const REPO_BIN = path.resolve(import.meta.dirname, '../../../../node_modules/.bin')
// The copies live in this package's test folder, in the repository's pnpm workspace, whose root
// does not have the command: the printed command names the package that has it.
const STOP = 'pnpm --filter @pgtestbed/jest exec pgtestbed server stop'

describe('the default embedded server (no PGTESTBED_URL)', () => {
  // Readable by the server's own OS user, so the data stays in this folder.
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-jest-cache-'))
  chmodSync(cacheDir, 0o755)
  const env = { PGTESTBED_CACHE_DIR: cacheDir }

  // Whether the server kept its data in memory (the default where /dev/shm is a usable tmpfs).
  let inMemory = false

  afterAll(async () => {
    const memoryFolders = memoryFoldersOf(cacheDir)
    // removeData: the data folder in /dev/shm is not inside the cache folder removed below.
    await stopEmbeddedServer({ cacheDir, force: true, removeData: true })
    rmSync(cacheDir, { recursive: true, force: true })
    expect(memoryFolders).toHaveLength(inMemory ? 1 : 0)
    expect(memoryFoldersOf(cacheDir)).toEqual([])
  })

  test('should run the tests and leave no server process and no test database behind', async () => {
    const { copy } = scratch('basic')
    const result = await runJest(copy, ['--maxWorkers=2'], { env, timeoutMs: 180_000 })
    expect(result.stderr).toContain('Tests:       3 passed, 3 total')
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(
      /\[pgtestbed\] embedded PostgreSQL \d+ · goose · 2 migrations · template pgtestbed_tpl_\w+ built/,
    )
    expect(processesUsing(cacheDir)).toEqual([])

    // Start the server again to look inside: only the template is left.
    const server = await resolveServer({ server: 'embedded', cacheDir })
    inMemory = server.storage.medium === 'memory'
    try {
      const left = await databasesOf(path.join(copy.dir, 'migrations'), server.adminUrl)
      expect(left.map((d) => d.kind)).toEqual(['template'])
    } finally {
      await server.release()
    }
    expect(processesUsing(cacheDir)).toEqual([])
  })

  test('should keep the server up for a kept database until the next run ends', async () => {
    const failing = scratch('failing')
    const result = await runJest(failing.copy, ['--maxWorkers=2'], { env, timeoutMs: 180_000 })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `the embedded PostgreSQL server stays up so these URLs work; a later run that keeps no database stops it, or stop it now with:\n  ${STOP} --cache-dir ${cacheDir}\n`,
    )
    const url = /kept the database of test\/fails\.test\.js because a test failed: (\S+)/.exec(
      result.stderr,
    )?.[1]
    expect(url).toBeDefined()
    expect(processesUsing(cacheDir)).not.toEqual([])
    expect(await readRows(url!, 'SELECT note FROM events')).toEqual([{ note: 'kept evidence' }])

    const basic = scratch('basic')
    const next = await runJest(basic.copy, ['--maxWorkers=2'], { env, timeoutMs: 180_000 })
    expect(next.code).toBe(0)
    expect(processesUsing(cacheDir)).toEqual([])
  })

  test('should stop the server kept up for a kept database with the command it prints', async () => {
    const failing = scratch('failing')
    const result = await runJest(failing.copy, ['--maxWorkers=2'], { env, timeoutMs: 180_000 })
    expect(result.code).toBe(1)
    const stop = /or stop it now with:\n {2}(.+ server stop.*)\n/.exec(result.stderr)?.[1]
    expect(stop, result.stderr).toBe(`${STOP} --cache-dir ${cacheDir}`)
    expect(processesUsing(cacheDir)).not.toEqual([])
    // Run as printed, with the repository's pnpm on the PATH.
    execFileSync('sh', ['-c', stop!], {
      cwd: failing.copy.dir,
      env: { ...process.env, PATH: `${REPO_BIN}${path.delimiter}${process.env.PATH}` },
      stdio: 'pipe',
    })
    expect(processesUsing(cacheDir)).toEqual([])
  })
})
