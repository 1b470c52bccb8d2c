import { cp, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { withScratchDatabase } from '../helpers/pg.js'
import { copyFixture, runCli } from './run-cli.js'

const PRISMA = fileURLToPath(new URL('../fixtures/prisma/basic', import.meta.url))

describe('the CLI with a migrate command in the config', () => {
  let remove: (() => Promise<void>) | undefined
  afterEach(async () => {
    await remove?.()
    remove = undefined
  })

  async function project() {
    const copy = await copyFixture('migrate-command')
    remove = copy.remove
    return copy.dir
  }

  it('should check the inputs, write their manifest and name an edited input', async () => {
    const cwd = await project()
    const check = await runCli(['check'], { cwd })
    expect(check.code).toBe(0)
    expect(check.stdout).toContain('2 input files of migrate command `node migrate.mjs` in ./')
    expect(check.stdout).toContain(
      "lint skipped (the migrate command's tool reads its own migrations)",
    )

    const write = await runCli(['manifest', '--write'], { cwd })
    expect(write.stdout).toBe('pgtestbed: wrote pgtestbed.sum (2 migrate command inputs)\n')
    const sum = await readFile(path.join(cwd, 'pgtestbed.sum'), 'utf8')
    expect(
      sum
        .split('\n')
        .slice(1, 3)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['db/tables.txt', 'migrate.mjs'])
    await writeFile(path.join(cwd, 'db', 'tables.txt'), 'users\nposts\n')
    const edited = await runCli(['check'], { cwd })
    expect(edited.code).toBe(1)
    expect(edited.stdout).toContain(
      'MANIFEST_EDITED  db/tables.txt changed since pgtestbed.sum was written',
    )
  })

  it('should report an input pattern that matches no file', async () => {
    const cwd = await project()
    await writeFile(
      path.join(cwd, 'pgtestbed.config.json'),
      JSON.stringify({ migrate: { command: 'node migrate.mjs', inputs: ['migrations/**'] } }),
    )
    const check = await runCli(['check'], { cwd })
    expect(check.code).toBe(1)
    expect(check.stdout).toContain(
      `MIGRATE_INPUT_NOT_FOUND  migrate.inputs pattern "migrations/**" matches no file in ${cwd}`,
    )
  })

  it('should refuse up, saying the tool keeps its own migrations, unless --dir names a folder', async () => {
    const cwd = await project()
    const up = await runCli(['up', '--url', 'postgres://postgres@127.0.0.1:1/none'], { cwd })
    expect(up.code).toBe(2)
    expect(up.stderr).toContain(
      'the config builds the schema with a migrate command (`node migrate.mjs`), whose tool keeps its own migrations and history',
    )
    expect(up.stderr).toContain('DATABASE_URL=<url> node migrate.mjs')
  })
})

describe('the CLI on Prisma Migrate folders', () => {
  it('should apply, show the history and say that Prisma has no down migrations', async () => {
    const copy = await copyFixture('goose-clean')
    try {
      const dir = path.join(copy.dir, 'prisma', 'migrations')
      await cp(PRISMA, dir, { recursive: true })
      await withScratchDatabase(async (_client, url) => {
        const up = await runCli(['up', '--dir', 'prisma/migrations', '--url', url], {
          cwd: copy.dir,
        })
        expect(up.code).toBe(0)
        expect(up.stdout).toContain('20240101120000_init/migration.sql')
        const status = await runCli(['status', '--dir', 'prisma/migrations', '--url', url], {
          cwd: copy.dir,
        })
        expect(status.code).toBe(0)
        expect(status.stdout).toMatch(
          /\w{3} \w{3} [ \d]\d [\d:]{8} \d{4} -- 20240102090000_add_posts\/migration\.sql/,
        )
        const down = await runCli(['down', '--dir', 'prisma/migrations', '--url', url], {
          cwd: copy.dir,
        })
        expect(down.code).toBe(1)
        expect(down.stderr).toContain('ROLLBACK_UNSUPPORTED')
        expect(down.stderr).toContain('Prisma Migrate has no down migrations')
      })
    } finally {
      await copy.remove()
    }
  })
})
