import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { dropOwnedDatabases, withClient } from '@pgtestbed/test-support'
import { afterAll, describe, expect, it } from 'vitest'
import { silentReporter, type Reporter } from '../../src/progress.js'
import { resolveRunnerOptions } from '../../src/runner/options.js'
import { projectKeyFor } from '../../src/templates/naming.js'
import { TestbedRegistry } from '../../src/runner/registry.js'
import { closeAdminPools } from '../../src/templates/admin.js'
import { noteKeptDatabase, noteOpenDatabase } from '../../src/worker/run-notes.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'

afterAll(() => closeAdminPools())

/** A reporter that keeps what it is told. */
function recorder(): Reporter & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    step: () => silentReporter.step(''),
    info: (text) => lines.push(`info ${text}`),
    warn: (text) => lines.push(`warn ${text}`),
  }
}

describe('the runner registry', () => {
  it('should print the warnings about the migrations as one line naming the command that shows them', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pgtestbed-registry-'))
    try {
      await mkdir(path.join(root, 'migrations'))
      const goose = (table: string) =>
        `-- +goose Up\nCREATE TABLE ${table} (id int);\n\n-- +goose Down\nDROP TABLE ${table};\n`
      // Gaps in the versions (2 and 4 are missing): a warning on each of two files.
      await writeFile(path.join(root, 'migrations', '001_a.sql'), goose('a'))
      await writeFile(path.join(root, 'migrations', '003_b.sql'), goose('b'))
      await writeFile(path.join(root, 'migrations', '005_c.sql'), goose('c'))
      const options = await resolveRunnerOptions({
        root,
        options: { url: TEST_SERVER_URL, lint: false },
        where: 'this test',
        configFile: false,
      })
      const reporter = recorder()
      const registry = new TestbedRegistry<void>()
      const entry = await registry.open(options, { reporter, data: () => undefined })
      try {
        const warnings = reporter.lines.filter((l) => l.startsWith('warn '))
        expect(warnings).toEqual([
          'warn 2 warnings about the migrations in 2 files (the run goes on; `npx pgtestbed check` shows them)',
        ])
        expect(entry.testbed?.diagnostics.map((d) => d.code)).toEqual([
          'VERSION_GAP',
          'VERSION_GAP',
        ])
      } finally {
        await registry.close(entry)
      }
    } finally {
      // The template stays on the server by design (the next run reuses it): this test's is its own.
      await dropOwnedDatabases(projectKeyFor(path.join(root, 'migrations')))
      await rm(root, { recursive: true, force: true })
    }
  })

  it('should end a run by dropping what a crashed file left, listing the kept databases and removing the run folder', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pgtestbed-registry-'))
    try {
      await mkdir(path.join(root, 'migrations'))
      await writeFile(
        path.join(root, 'migrations', '001_a.sql'),
        '-- +goose Up\nCREATE TABLE a (id int);\n\n-- +goose Down\nDROP TABLE a;\n',
      )
      const options = await resolveRunnerOptions({
        root,
        options: { url: TEST_SERVER_URL, pool: 0 },
        where: 'this test',
        configFile: false,
      })
      const reporter = recorder()
      const registry = new TestbedRegistry<void>()
      const entry = await registry.open(options, { reporter, data: () => undefined })
      const testbed = entry.testbed
      if (!testbed) throw new Error('no testbed')
      const runDir = registry.runDir
      // A file whose worker died mid-run (its database is still noted as open) …
      const crashed = await testbed.clone({ label: 'crashed.test.ts' })
      noteOpenDatabase(runDir, {
        file: 'crashed.test.ts',
        project: '',
        name: crashed.name,
        adminUrl: testbed.info.adminUrl,
        template: crashed.template,
        pid: 2 ** 22 + 1, // above Linux's pid_max: no such process
      })
      // … and a failed file that kept its database for debugging.
      const failed = await testbed.clone({ label: 'failed.test.ts' })
      const url = await failed.keep()
      noteKeptDatabase(runDir, { file: 'failed.test.ts', project: '', name: failed.name, url })

      await registry.closeRun()
      registry.endRun(reporter)

      const names = await withClient(TEST_SERVER_URL, async (client) => {
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE datname = ANY($1)',
          [[crashed.name, failed.name]],
        )
        return rows.map((r) => r.datname)
      })
      expect(names).toEqual([failed.name])
      const kept = reporter.lines.filter((l) => l.includes('kept 1 database'))
      expect(kept).toEqual([
        `warn kept 1 database of failed test file for debugging (keepOnFailure):\n  failed.test.ts  ${url}`,
      ])
      expect(existsSync(runDir)).toBe(false)
      // The next run gets a folder of its own.
      expect(registry.runDir).not.toBe(runDir)
      registry.endRun(reporter)
    } finally {
      await dropOwnedDatabases(projectKeyFor(path.join(root, 'migrations')))
      await rm(root, { recursive: true, force: true })
    }
  })
})
