import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { createLintHook, type LintHookResult } from '../../src/lint/hook.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { startTestbed } from '../../src/testbed/start.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'
import { gooseMigration, gooseProject, type GooseProject } from '../helpers/goose-project.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
afterAll(() => closeAdminPools())

describe('startTestbed with a cached lint hook', () => {
  test('should not lint again on a second start with unchanged migrations, and lint after an edit', async () => {
    const p: GooseProject = await gooseProject({ migrations: 3 })
    cleanups.push(() => p.cleanup())
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-lint-cache-'))
    cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }))
    const results: LintHookResult[] = []

    /** One test run: a new hook (a new process makes one), a start, a close. */
    async function run(): Promise<void> {
      const lint = createLintHook(true, { cacheDir, onLint: (r) => results.push(r) })!
      const testbed = await startTestbed({
        server: 'url',
        url: TEST_SERVER_URL,
        cwd: p.cwd,
        env: {},
        lint,
      })
      await testbed.close()
    }

    await run()
    await run()
    expect(results.map((r) => r.cached)).toEqual([false, true])
    expect(results[1]!.diagnostics).toEqual(results[0]!.diagnostics)

    await p.write('00004_step_4.sql', gooseMigration(4))
    await run()
    expect(results.map((r) => r.cached)).toEqual([false, true, false])
  })
})
