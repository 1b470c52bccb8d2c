import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { projectKeyFor } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { useCleanups } from './context.js'
import {
  eventually,
  processesMentioning,
  projectDatabases,
  readReports,
  SERVER_URL,
  startWatch,
} from './helpers.js'

const { defer, fixture, reportDir } = useCleanups()

describe('watch mode', () => {
  test('should reuse the template when a test changes, rebuild it when a migration changes, and rerun', async () => {
    const project = fixture('happy')
    const out = reportDir()
    const vitest = startWatch(project, { PGTESTBED_URL: SERVER_URL, E2E_OUT: out })
    defer(async () => {
      // Whatever happened: nothing of this run may keep running.
      for (const pid of processesMentioning(project.dir)) process.kill(pid, 'SIGKILL')
    })

    const first = await vitest.waitFor(/template (pgtestbed_tpl_[0-9a-f]{8}) built/)
    await vitest.waitFor(/Tests {2}4 passed \(4\)/)
    expect(readReports(out).gamma?.columns).toEqual(['id', 'email', 'marker'])

    // A test edit reruns that file on the same template.
    let mark = vitest.output().length
    appendFileSync(project.file('test/alpha.test.ts'), '\n// edited\n')
    await vitest.waitFor(
      /rerun: migrations unchanged · template (pgtestbed_tpl_[0-9a-f]{8}) reused/,
      mark,
    )
    await vitest.waitFor(/Tests {2}1 passed \(1\)/, mark)
    expect(vitest.output().slice(mark)).toContain(`template ${first[1]} reused`)

    // A migration edit rebuilds the template and reruns every file against it.
    mark = vitest.output().length
    const migration = project.file('migrations/00001_create_users.sql')
    writeFileSync(
      migration,
      readFileSync(migration, 'utf8').replace(
        '  marker text NOT NULL\n',
        '  marker text NOT NULL,\n  nickname text\n',
      ),
    )
    const rebuilt = await vitest.waitFor(
      /rerun: migrations changed · 2 migrations · template (pgtestbed_tpl_[0-9a-f]{8}) built · \d+ ms/,
      mark,
    )
    expect(rebuilt[1]).not.toBe(first[1])
    await vitest.waitFor(/Tests {2}4 passed \(4\)/, mark)
    expect(readReports(out).gamma?.columns).toEqual(['id', 'email', 'marker', 'nickname'])

    // A broken migration fails every file with the error until it is fixed; the run goes on.
    mark = vitest.output().length
    const added = project.file('migrations/00003_add_age.sql')
    writeFileSync(
      added,
      'ALTER TABLE users ADD COLUMN age int;\n\n-- +goose Down\nALTER TABLE users DROP COLUMN age;\n',
    )
    await vitest.waitFor(
      /rerun: VALIDATION_FAILED: the test files fail with it until it is fixed/,
      mark,
    )
    await vitest.waitFor(/Test Files {2}3 failed \(3\)/, mark)
    // The error once, under the three files (Vitest merges their identical errors).
    const rerun = vitest.output().slice(mark)
    expect(
      rerun.split('VALIDATION_FAILED]: the migrations in migrations have problems: 1 error'),
    ).toHaveLength(2)
    expect(rerun).toContain('migrations/00003_add_age.sql:3  error DOWN_BEFORE_UP')
    mark = vitest.output().length
    writeFileSync(added, `-- +goose Up\n${readFileSync(added, 'utf8')}`)
    await vitest.waitFor(
      /rerun: migrations changed · 3 migrations · template pgtestbed_tpl_[0-9a-f]{8} built/,
      mark,
    )
    await vitest.waitFor(/Tests {2}4 passed \(4\)/, mark)
    expect(readReports(out).gamma?.columns).toEqual(['id', 'email', 'marker', 'nickname', 'age'])

    // q quits through Vitest's own close, which runs the teardown.
    vitest.press('q')
    // Vitest exits with 1 after a watch session that saw failing runs (the broken migration).
    expect(await vitest.exited).toBe(1)
    expect(await eventually(() => processesMentioning(project.dir).length === 0)).toBe(true)
    const left = await projectDatabases(projectKeyFor(project.file('migrations')))
    expect(left.map((d) => d.kind)).toEqual(['template', 'template', 'template'])
  })
  test('should start after the migrations are fixed when the first start failed', async () => {
    const project = fixture('errors', 'v4', ['migrations-invalid'])
    const vitest = startWatch(project, {
      PGTESTBED_URL: SERVER_URL,
      FIXTURE_MIGRATIONS: './migrations-invalid',
    })
    defer(async () => {
      for (const pid of processesMentioning(project.dir)) process.kill(pid, 'SIGKILL')
    })
    await vitest.waitFor(/Test Files {2}1 failed \(1\)/)
    // The error once, under the failed file, without Vitest's globalSetup-error noise.
    const headline =
      'PgtestbedError [VALIDATION_FAILED]: the migrations in migrations-invalid have problems'
    expect(vitest.output().split(headline)).toHaveLength(2)
    expect(vitest.output()).not.toMatch(/Unhandled Error|No test files found/)

    let mark = vitest.output().length
    const broken = project.file('migrations-invalid/00002_add_balance.sql')
    writeFileSync(broken, `-- +goose Up\n${readFileSync(broken, 'utf8')}`)
    await vitest.waitFor(/goose · 2 migrations · template pgtestbed_tpl_[0-9a-f]{8} built/, mark)
    await vitest.waitFor(/Tests {2}1 passed \(1\)/, mark)

    // A statement that fails: APPLY_FAILED, once, with the statement; fixing it reruns.
    mark = vitest.output().length
    writeFileSync(broken, readFileSync(broken, 'utf8').replace('accounts ADD', 'acounts ADD'))
    await vitest.waitFor(/Test Files {2}1 failed \(1\)/, mark)
    const failed = vitest.output().slice(mark)
    expect(failed.split('PgtestbedError [APPLY_FAILED]: failed to apply migration')).toHaveLength(2)
    expect(failed.match(/relation "acounts" does not exist/g)).toHaveLength(1)
    expect(failed).toContain('ALTER TABLE acounts ADD COLUMN balance')
    mark = vitest.output().length
    writeFileSync(broken, readFileSync(broken, 'utf8').replace('acounts ADD', 'accounts ADD'))
    await vitest.waitFor(/Tests {2}1 passed \(1\)/, mark)

    vitest.press('q')
    expect(await vitest.exited).not.toBeNull()
    expect(await eventually(() => processesMentioning(project.dir).length === 0)).toBe(true)
  })
})
