import { appendFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { databasesOf } from '../helpers/databases.js'
import { SERVER_URL, startJest, type RunningJest } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'

const scratch = useScratch()
let running: RunningJest | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

/** Pids of processes whose working folder is `dir` (Jest and its workers). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return []
    try {
      return readlinkSync(`/proc/${entry}/cwd`) === dir ? [Number(entry)] : []
    } catch {
      return []
    }
  })
}

const RAN = /Ran all test suites\./

describe('watch mode', () => {
  test('should rebuild the template when a migration changes, reuse it when a test changes, and recover from a broken migration', async () => {
    const { copy } = scratch('basic')
    running = startJest(copy, ['--watchAll', '--maxWorkers=2'], {
      env: { PGTESTBED_URL: SERVER_URL },
    })
    await running.waitFor(RAN)
    expect(running.output()).toMatch(/goose · 2 migrations · template pgtestbed_tpl_\w+ built/)
    const first = /template (pgtestbed_tpl_[0-9a-f]{8}) built/.exec(running.output())![1]

    // Editing a migration (a .sql file: the preset adds it to moduleFileExtensions) reruns the
    // tests on a new template, on the same server.
    appendFileSync(
      path.join(copy.dir, 'migrations/00002_add_created_at.sql'),
      '\n-- a comment changes the fingerprint\n',
    )
    await running.waitFor(RAN, 2)
    expect(running.output()).toMatch(
      /rerun: migrations changed · 2 migrations · template pgtestbed_tpl_\w+ built/,
    )
    expect(running.output()).not.toContain(
      `rerun: migrations changed · 2 migrations · template ${first} `,
    )

    // Editing a test reruns it on the same template.
    appendFileSync(path.join(copy.dir, 'test/one.test.js'), '\n// touched\n')
    await running.waitFor(RAN, 3)
    expect(running.output()).toMatch(
      /rerun: migrations unchanged · template pgtestbed_tpl_\w+ reused/,
    )
    expect(running.output().match(/Tests: {7}3 passed, 3 total/g)).toHaveLength(3)

    // A migration that breaks: reported once with file, line and fix, every file of that run fails
    // pointing at it, and watch mode carries on (Jest's own would stop after a globalSetup error).
    const broken = path.join(copy.dir, 'migrations/00003_broken.sql')
    writeFileSync(broken, '-- +goose Up\nSELECT * FROM missing_table;\n')
    await running.waitFor(RAN, 4)
    expect(running.output()).toContain(
      'rerun: [APPLY_FAILED] failed to apply migration 00003_broken.sql (version 3)',
    )
    // The full report once (the statement and fix); each file's failure points at it.
    expect(
      running.output().match(/fix: fix 00003_broken\.sql \(statement 1, line 2\)/g),
    ).toHaveLength(1)
    expect(running.output().match(/> 2 \| SELECT \* FROM missing_table;/g)).toHaveLength(1)
    expect(running.output()).toMatch(
      /Test suite failed to run\n\n\s+pgtestbed APPLY_FAILED: .*\(the full report is above\)/,
    )
    expect(running.output()).toContain('Test Suites: 3 failed, 3 total')

    // Saving a fix reruns on a new template.
    writeFileSync(broken, '-- +goose Up\nCREATE TABLE later (id int);\n')
    await running.waitFor(RAN, 5)
    expect(running.output()).toMatch(
      /rerun: migrations changed · 3 migrations · template pgtestbed_tpl_\w+ built/,
    )
    expect(running.output().match(/Tests: {7}3 passed, 3 total/g)).toHaveLength(4)

    await running.stop()
    running = undefined
    expect(processesIn(copy.dir)).toEqual([])
    // Every run dropped its clones (and the failed build left nothing); the templates stay.
    const left = await databasesOf(path.join(copy.dir, 'migrations'))
    expect(left.map((d) => d.kind)).toEqual(['template', 'template', 'template'])
  }, 300_000) // several Jest reruns in one test: generous on a loaded 2-core CI machine
})
