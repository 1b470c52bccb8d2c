// The Docker lane's end-to-end case: a testbed on a container started through testcontainers
// builds its template inside the container and hands out clones from it; closing the testbed
// stops the container. Runs only in the lane (.ci/lanes/docker.sh sets PGTESTBED_DOCKER_TESTS=1
// and DOCKER_POSTGRES_IMAGE after provisioning an engine and an image).
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { closeAdminPools } from '../../src/templates/admin.js'
import { cloneDatabase, startTestbed } from '../../src/testbed/start.js'
import { publicTables } from '../helpers/pg.js'

const dockerLane = process.env.PGTESTBED_DOCKER_TESTS === '1'
const image = process.env.DOCKER_POSTGRES_IMAGE ?? 'postgres:17-alpine'
const migrations = path.resolve(import.meta.dirname, '../fixtures/apply/goose-incident-1')

afterAll(() => closeAdminPools())

/** Ids of the running containers of the lane's image. */
function containersOfImage(): string[] {
  const out = execFileSync('docker', ['ps', '-q', '--filter', `ancestor=${image}`], {
    encoding: 'utf8',
  })
  return out.split('\n').filter(Boolean).sort()
}

describe.runIf(dockerLane)('testbed on a docker server', () => {
  it('should build the template in the container, clone it per test file, and stop the container on close', async () => {
    const before = containersOfImage()
    const testbed = await startTestbed({ server: 'docker', docker: { image }, migrations, env: {} })
    try {
      expect(containersOfImage().length).toBe(before.length + 1)
      expect(testbed.info.server.kind).toBe('docker')
      expect(testbed.template.status).toBe('built')
      expect(testbed.summary).toContain('template pgtestbed_tpl_')

      // Two clones, as two test files would get them from the serialised info.
      const info = JSON.parse(JSON.stringify(testbed.info))
      const first = await cloneDatabase(info, { label: 'a.test.ts' })
      const second = await cloneDatabase(info, { label: 'b.test.ts' })
      expect(first.name).not.toBe(second.name)
      expect(await publicTables(first.url)).toEqual(['goose_db_version', 'users'])

      // A write in one clone is invisible in the other.
      const client = new pg.Client({ connectionString: first.url })
      await client.connect()
      await client.query("INSERT INTO users (id, email) VALUES (1, 'a@example.com')")
      await client.end()
      const other = new pg.Client({ connectionString: second.url })
      await other.connect()
      const { rows } = await other.query('SELECT count(*)::int AS n FROM users')
      await other.end()
      expect(rows).toEqual([{ n: 0 }])

      await first.drop()
      await second.drop()
    } finally {
      await testbed.close()
    }
    expect(containersOfImage()).toEqual(before)
  })
})
