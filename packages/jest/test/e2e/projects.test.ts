import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { databasesOf } from '../helpers/databases.js'
import { runJest, SERVER_URL } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'

const scratch = useScratch()
const env = { PGTESTBED_URL: SERVER_URL }

describe('Jest projects with two migrations folders', () => {
  test('should give each project’s files a database built from that project’s migrations', async () => {
    const { copy } = scratch('projects', 30, ['api/migrations', 'billing/drizzle'])
    const result = await runJest(copy, ['--maxWorkers=2'], { env })
    expect(result.stderr).toContain('Tests:       4 passed, 4 total')
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/goose · 1 migration · template pgtestbed_tpl_\w+ (built|reused)/)
    expect(result.stderr).toMatch(
      /drizzle · 1 migration · template pgtestbed_tpl_\w+ (built|reused)/,
    )
    // globalSetup saw one project; the environment prepared the other and says which.
    expect(result.stderr).toMatch(/\[pgtestbed\] project (api|billing): PostgreSQL 15/)
    for (const dir of ['api/migrations', 'billing/drizzle']) {
      const left = await databasesOf(path.join(copy.dir, dir))
      expect(left.map((d) => d.kind)).toEqual(['template'])
    }
  })
})

describe('Jest projects in band', () => {
  test('should prepare the second project in Jest’s own process and release it at the end', async () => {
    const { copy } = scratch('projects', 30, ['api/migrations', 'billing/drizzle'])
    const result = await runJest(copy, ['--runInBand'], { env })
    expect(result.stderr).toContain('Tests:       4 passed, 4 total')
    expect(result.code).toBe(0)
    // Prepared once (in band there is one process), not once per file.
    expect(result.stderr.match(/\[pgtestbed\] project (api|billing): PostgreSQL 15/g)).toHaveLength(
      1,
    )
    for (const dir of ['api/migrations', 'billing/drizzle']) {
      const left = await databasesOf(path.join(copy.dir, dir))
      expect(left.map((d) => d.kind)).toEqual(['template'])
    }
  })
})

describe('per-file environment options in a docblock', () => {
  test('should prepare the migrations a docblock names for that file only', async () => {
    const { copy } = scratch('docblock', 30, ['migrations', 'other', 'broken'])
    const result = await runJest(copy, ['--maxWorkers=2'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/PASS test\/project\.test\.js/)
    expect(result.stderr).toMatch(/PASS test\/other\.test\.js/)
    // A file whose own migrations fail: that file fails with our message, and nothing else does.
    expect(result.stderr).toMatch(/FAIL test\/broken\.test\.js\n\s+● Test suite failed to run/)
    // PostgreSQL's parser rejects it, so lint stops it before anything is applied.
    expect(result.stderr).toContain(
      'pgtestbed LINT_FAILED: lint found problems in the migrations in broken: 1 error',
    )
    expect(result.stderr).toContain(
      'broken/00001_create_broken.sql:2  error LINT_PARSE_FAILED PostgreSQL\'s parser rejects this statement (syntax error at or near ")")',
    )
    expect(result.stderr).not.toMatch(/^\s+at .+\(\/.+:\d+:\d+\)$/m)
    expect(result.stderr).toContain('Tests:       2 passed, 2 total')
    expect((await databasesOf(path.join(copy.dir, 'other'))).map((d) => d.kind)).toEqual([
      'template',
    ])
    expect(await databasesOf(path.join(copy.dir, 'broken'))).toEqual([])
  })
})
