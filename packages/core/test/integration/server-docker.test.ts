import { execFileSync, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import os from 'node:os'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { dockerStartError, loadTestcontainers } from '../../src/servers/docker.js'
import { resolveServer } from '../../src/servers/resolve.js'
import type { DockerPostgresServer } from '../../src/servers/docker.js'
import { ensureServerUser } from '../../src/servers/embedded/user.js'
import { bundleFixture, coreDir } from '../helpers/servers.js'

// The container tests need a Docker engine: the Docker lane (.ci/lanes/docker.sh) provisions one
// and runs this file with PGTESTBED_DOCKER_TESTS=1 and DOCKER_POSTGRES_IMAGE set. The tests that
// need no engine run in the main run only, so the CI summary counts each test once.
const dockerLane = process.env.PGTESTBED_DOCKER_TESTS === '1'
const asRoot = process.getuid?.() === 0
const image = process.env.DOCKER_POSTGRES_IMAGE ?? 'postgres:17-alpine'

function engineAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0
}

describe.runIf(dockerLane)('docker server', () => {
  it('should start a container, create and use a database in it, and remove it on release', async () => {
    const server = (await resolveServer({
      server: 'docker',
      docker: { image },
    })) as DockerPostgresServer
    let released = false
    try {
      expect(server.kind).toBe('docker')
      expect(server.image).toBe(image)
      expect(server.majorVersion).toBeGreaterThanOrEqual(13)

      const admin = new pg.Client({ connectionString: server.adminUrl })
      await admin.connect()
      try {
        await admin.query('CREATE DATABASE pgtestbed_docker_h4')
        const settings = await admin.query<{ name: string; setting: string }>(
          `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'max_connections') ORDER BY name`,
        )
        expect(settings.rows).toEqual([
          { name: 'fsync', setting: 'off' },
          { name: 'max_connections', setting: '300' },
        ])
      } finally {
        await admin.end()
      }

      const client = new pg.Client({ connectionString: server.urlFor('pgtestbed_docker_h4') })
      await client.connect()
      try {
        const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db')
        expect(rows).toEqual([{ db: 'pgtestbed_docker_h4' }])
      } finally {
        await client.end()
      }

      await server.release()
      released = true
      const left = execFileSync(
        'docker',
        ['ps', '-a', '-q', '--filter', `id=${server.containerId}`],
        {
          encoding: 'utf8',
        },
      )
      expect(left.trim()).toBe('')
    } finally {
      if (!released) await server.release()
    }
  })

  it('should fail with DOCKER_UNAVAILABLE naming an image that cannot be had', async () => {
    const missing = 'pgtestbed.invalid/no-such-postgres:0'
    const error = await resolveServer({ server: 'docker', docker: { image: missing } }).catch(
      (e) => e,
    )
    expect(isPgtestbedError(error) && error.code).toBe('DOCKER_UNAVAILABLE')
    expect(error.message).toContain(`cannot get the image "${missing}"`)
    expect(error.fix).toContain('PGTESTBED_DOCKER_IMAGE')
  })
})

describe.skipIf(dockerLane)('docker server without Docker', () => {
  it('should fail with DOCKER_UNAVAILABLE and the install command when @testcontainers/postgresql is missing', async () => {
    const error = await loadTestcontainers('@testcontainers/postgresql-not-installed').catch(
      (e) => e,
    )
    expect(isPgtestbedError(error) && error.code).toBe('DOCKER_UNAVAILABLE')
    expect(error.message).toBe(
      "server: 'docker' needs the package @testcontainers/postgresql-not-installed, which is not installed",
    )
    expect(error.fix).toContain('pnpm add -D @testcontainers/postgresql')
  })

  it('should turn "no container runtime" into DOCKER_UNAVAILABLE with a fix', () => {
    const error = dockerStartError(
      new Error('Could not find a working container runtime strategy'),
      'postgres:17-alpine',
    )
    expect(error.code).toBe('DOCKER_UNAVAILABLE')
    expect(error.message).toContain('no container runtime answers')
    expect(error.fix).toContain('Start Docker')
  })

  it.runIf(asRoot)(
    'should fail with DOCKER_UNAVAILABLE for a user who cannot reach any container runtime',
    async ({ skip }) => {
      // The unprivileged "pgtestbed" account may not open /var/run/docker.sock and has no
      // rootless engine: testcontainers finds no working runtime strategy, whether or not
      // this machine runs Docker.
      ensureServerUser('pgtestbed')
      const fixture = await bundleFixture('resolve-docker')
      // The fixture imports the checkout's node_modules: a checkout under a private (0700)
      // folder is out of that account's reach, and then there is nothing to test here.
      const reach = spawnSync('runuser', ['-u', 'pgtestbed', '--', 'test', '-r', fixture])
      if (reach.status !== 0) {
        rmSync(fixture, { force: true })
        skip('the pgtestbed account cannot read this checkout (a private parent folder)')
      }
      try {
        const child = spawnSync('runuser', ['-u', 'pgtestbed', '--', process.execPath, fixture], {
          cwd: coreDir,
          encoding: 'utf8',
          env: {
            ...process.env,
            HOME: os.tmpdir(),
            DOCKER_HOST: '',
            TESTCONTAINERS_RYUK_DISABLED: 'true',
          },
        })
        expect(JSON.parse(child.stdout)).toEqual({
          code: 'DOCKER_UNAVAILABLE',
          message:
            'server: "docker" was chosen, but no container runtime answers (Docker is not running, not installed, or DOCKER_HOST points nowhere)',
          fix: "Start Docker (or set DOCKER_HOST to a running engine), or drop server: 'docker' to use the embedded server.",
        })
      } finally {
        rmSync(fixture, { force: true })
      }
    },
  )

  it.runIf(!engineAnswers())(
    'should fail with DOCKER_UNAVAILABLE when no Docker engine runs on this machine',
    async () => {
      const error = await resolveServer({ server: 'docker' }).catch((e) => e)
      expect(isPgtestbedError(error) && error.code).toBe('DOCKER_UNAVAILABLE')
      expect(error.message).toContain('no container runtime answers')
    },
  )
})
