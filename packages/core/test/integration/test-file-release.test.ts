import path from 'node:path'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import { startTestbed } from '../../src/testbed/start.js'
import { withAdminClient } from '../../src/templates/admin.js'
import { readDatabase } from '../../src/templates/ownership.js'
import { sweep } from '../../src/templates/sweep.js'
import { openTestFile, type TestFileContext } from '../../src/worker/test-file.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { useGooseProjects, type GooseProject } from '../helpers/goose-project.js'

const project = useGooseProjects()

/**
 * A runner's context for the files of `p`, from a testbed without a pool but saying `pool: true`:
 * nothing drops what a file hands back, so the test sees the hand-off itself.
 */
async function withContext(
  p: GooseProject,
  fn: (context: TestFileContext) => Promise<void>,
): Promise<void> {
  const testbed = await startTestbed({
    server: 'url',
    url: TEST_SERVER_URL,
    cwd: p.cwd,
    env: {},
    pool: 0,
  })
  try {
    await fn({
      ...testbed.info,
      pool: true,
      root: p.cwd,
      projectName: '',
      envVar: 'DATABASE_URL',
      keepOnFailure: true,
      keptTtlMs: 60_000,
    })
  } finally {
    await testbed.close()
  }
}

const read = (name: string) => withAdminClient(TEST_SERVER_URL, (c) => readDatabase(c, name))

/** Opens test file `file` of `p` as a runner would; its messages go to `printed`. */
async function open(context: TestFileContext, p: GooseProject, file: string) {
  const printed: string[] = []
  const env: NodeJS.ProcessEnv = {}
  const testFile = await openTestFile(context, {
    runner: 'node',
    testPath: path.join(p.cwd, file),
    env,
    print: (text) => printed.push(text),
  })
  return { file: testFile, url: env.DATABASE_URL, printed }
}

describe('TestFile.release with a clone pool', () => {
  test("should hand the file's database back to the pool instead of dropping it, and the sweep drops what no pool took", async () => {
    const p = await project({ migrations: 1 })
    await withContext(p, async (context) => {
      const { file, url, printed } = await open(context, p, 'test/users.test.mjs')
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query('INSERT INTO t1 (name) VALUES ($1)', ['a'])
      await client.end()
      await file.release(false)
      expect(printed).toEqual([])
      expect((await read(file.name))?.record).toMatchObject({
        kind: 'clone',
        label: 'test/users.test.mjs',
        released: true,
      })
      const report = await sweep(TEST_SERVER_URL, { project: p.project })
      expect(report.dropped).toContainEqual({
        name: file.name,
        kind: 'clone',
        reason: 'released by its test file, whose run ended before dropping it',
      })
      expect(await read(file.name)).toBeUndefined()
    })
  })

  test('should drop the database itself and name the sessions a file left open', async () => {
    const p = await project({ migrations: 1 })
    await withContext(p, async (context) => {
      const { file, url, printed } = await open(context, p, 'test/leaks.test.mjs')
      const leaked = new pg.Client({ connectionString: url })
      leaked.on('error', () => {}) // the drop ends this session
      await leaked.connect()
      await file.release(false)
      expect(await read(file.name)).toBeUndefined()
      expect(printed).toEqual([
        expect.stringContaining(
          `[pgtestbed] test/leaks.test.mjs left 1 connection open to its database ${file.name}; the drop closed it:`,
        ),
      ])
      await leaked.end().catch(() => {})
    })
  })
})
