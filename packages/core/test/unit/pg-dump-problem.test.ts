import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { pgDumpProblem } from '../../src/templates/cache-dump.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-pg-dump-'))
})
afterAll(async () => {
  vi.unstubAllEnvs()
  await rm(dir, { recursive: true, force: true })
})

/** A stand-in `pg_dump` that prints `version` for `--version` (what Debian's prints). */
async function fakePgDump(version: string): Promise<string> {
  const file = path.join(dir, `pg_dump-${version.replace(/\W+/g, '-')}`)
  await writeFile(file, `#!/bin/sh\necho '${version}'\n`)
  await chmod(file, 0o755)
  return file
}

describe('pgDumpProblem', () => {
  it("should accept a pg_dump of the server's major or newer, and name an older one with the fix", async () => {
    vi.stubEnv(
      'PGTESTBED_PG_DUMP',
      await fakePgDump('pg_dump (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)'),
    )
    expect(await pgDumpProblem(15)).toBeUndefined()
    expect(await pgDumpProblem(14)).toBeUndefined()
    expect(await pgDumpProblem(18)).toMatch(
      /pg_dump \(PostgreSQL\) 15\.19 .*, older than the server's PostgreSQL 18 \(set PGTESTBED_PG_DUMP to a pg_dump of PostgreSQL 18 or newer\)$/,
    )
  })

  it('should say when the pg_dump is not installed', async () => {
    vi.stubEnv('PGTESTBED_PG_DUMP', path.join(dir, 'missing'))
    expect(await pgDumpProblem(16)).toMatch(/missing is not installed/)
  })
})
