import { describe, expect, test } from 'vitest'
import { applicationName, openTestFile } from '../../src/worker/test-file.js'

describe('openTestFile', () => {
  test('should fail with NO_TEST_DATABASE and a fix when the runner handed it no testbed', async () => {
    const env: NodeJS.ProcessEnv = { DATABASE_URL: 'postgres://shell/db' }
    await expect(
      openTestFile(undefined, { runner: 'node', testPath: '/a.test.mjs', env }),
    ).rejects.toMatchObject({
      code: 'NO_TEST_DATABASE',
      fix: expect.stringContaining('integration'),
    })
    // It never points the file anywhere else.
    expect(env.DATABASE_URL).toBe('postgres://shell/db')
  })
})

describe('applicationName', () => {
  test('should cut to the 63 bytes PostgreSQL keeps, never inside a character', () => {
    const name = applicationName('vitest', `test/${'é'.repeat(40)}.test.ts`)
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63)
    expect(name).toMatch(/^vitest test\/é+$/)
    expect(applicationName('jest', 'test/a.test.js')).toBe('jest test/a.test.js')
  })
})
