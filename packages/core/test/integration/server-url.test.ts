import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import { freePort } from '../../src/servers/embedded/process.js'
import { resolveServer } from '../../src/servers/resolve.js'
import { TEST_SERVER_URL, withAdmin } from '../helpers/pg.js'

const server = new URL(TEST_SERVER_URL)
const hostPort = `${server.hostname}:${server.port || 5432}`

describe('url server', () => {
  const savedUrl = process.env.PGTESTBED_URL
  afterEach(() => {
    if (savedUrl === undefined) delete process.env.PGTESTBED_URL
    else process.env.PGTESTBED_URL = savedUrl
  })

  it('should connect to the given URL and read the major version from server_version_num', async () => {
    await using handle = await resolveServer({ url: TEST_SERVER_URL })
    const expected = await withAdmin(async (c) => {
      const { rows } = await c.query<{ n: string }>(
        `SELECT current_setting('server_version_num') AS n`,
      )
      return Math.floor(Number(rows[0]!.n) / 10_000)
    })
    expect(handle.kind).toBe('url')
    expect(handle.majorVersion).toBe(expected)
    expect(handle.adminUrl).toBe(TEST_SERVER_URL)
    // pgtestbed cannot see where a server it did not start keeps its data.
    // The test server runs with fsync on (a stock installation).
    expect(handle.storage).toEqual({ medium: 'unknown', fsync: true })
  })

  it('should take PGTESTBED_URL when no url option is given', async () => {
    process.env.PGTESTBED_URL = TEST_SERVER_URL
    await using handle = await resolveServer()
    expect(handle.kind).toBe('url')
    expect(handle.adminUrl).toBe(TEST_SERVER_URL)
  })

  it('should build database URLs that keep host, port, user, password and query parameters', async () => {
    const url = new URL(TEST_SERVER_URL)
    url.username = 'postgres'
    url.password = 'p@ss word' // trust auth ignores it; it must survive untouched
    url.search = '?application_name=pgtestbed_h4&connect_timeout=5'
    await using handle = await resolveServer({ url: url.toString() })
    const made = new URL(handle.urlFor('pgtestbed_test_h4'))
    expect(made.pathname).toBe('/pgtestbed_test_h4')
    expect(made.host).toBe(url.host)
    expect(made.username).toBe('postgres')
    expect(decodeURIComponent(made.password)).toBe('p@ss word')
    expect(made.searchParams.get('application_name')).toBe('pgtestbed_h4')
    expect(made.searchParams.get('connect_timeout')).toBe('5')
  })

  it('should fail with SERVER_UNREACHABLE naming host:port, not the password, with a fix', async () => {
    const port = await freePort()
    const error = await resolveServer({
      url: `postgres://app:hunter2@127.0.0.1:${port}/app`,
    }).catch((e) => e)
    expect(isPgtestbedError(error) && error.code).toBe('SERVER_UNREACHABLE')
    expect(error.message).toBe(
      `cannot connect to PostgreSQL at app@127.0.0.1:${port} (database "app"): connection refused (nothing listens there)`,
    )
    expect(error.message).not.toContain('hunter2')
    expect(error.fix).toContain('Start that PostgreSQL server')
    expect(error.fix).toContain('PGTESTBED_URL')
    expect(error.fix).toContain('embedded server')
  })

  it('should refuse a role that may not create databases, with the GRANT that fixes it', async () => {
    const role = `pgtestbed_test_nocreate_${randomBytes(4).toString('hex')}`
    await withAdmin((c) => c.query(`CREATE ROLE ${role} LOGIN NOCREATEDB NOSUPERUSER`))
    try {
      const url = new URL(TEST_SERVER_URL)
      url.username = role
      const error = await resolveServer({ url: url.toString() }).catch((e) => e)
      expect(isPgtestbedError(error) && error.code).toBe('SERVER_PERMISSION_DENIED')
      expect(error.message).toBe(
        `the role "${role}" on ${role}@${hostPort} may not create databases, and pgtestbed creates one per test file`,
      )
      expect(error.fix).toContain(`ALTER ROLE "${role}" CREATEDB`)
    } finally {
      await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`))
    }
  })

  it('should accept a role with CREATEDB that is not a superuser', async () => {
    const role = `pgtestbed_test_createdb_${randomBytes(4).toString('hex')}`
    await withAdmin((c) => c.query(`CREATE ROLE ${role} LOGIN CREATEDB NOSUPERUSER`))
    try {
      const url = new URL(TEST_SERVER_URL)
      url.username = role
      await using handle = await resolveServer({ url: url.toString() })
      expect(handle.kind).toBe('url')
    } finally {
      await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`))
    }
  })

  it("should fail with INVALID_OPTIONS for server: 'url' without a URL", async () => {
    delete process.env.PGTESTBED_URL
    const error = await resolveServer({ server: 'url' }).catch((e) => e)
    expect(isPgtestbedError(error) && error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toBe("server: 'url' was chosen but no URL was given")
    expect(error.fix).toContain('PGTESTBED_URL')
  })

  it('should fail with INVALID_OPTIONS for an unknown server choice or a non-postgres URL', async () => {
    const choice = await resolveServer({ server: 'cloud' as never }).catch((e) => e)
    expect(isPgtestbedError(choice) && choice.code).toBe('INVALID_OPTIONS')
    expect(choice.message).toBe(
      `server must be one of 'auto', 'url', 'embedded', 'docker', not "cloud"`,
    )

    const scheme = await resolveServer({ url: 'mysql://root@127.0.0.1/app' }).catch((e) => e)
    expect(isPgtestbedError(scheme) && scheme.code).toBe('INVALID_OPTIONS')
    expect(scheme.message).toBe(
      'the server URL must start with postgres:// or postgresql://, not mysql://',
    )
  })
})
