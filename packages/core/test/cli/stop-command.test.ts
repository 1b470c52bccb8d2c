import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverStopCommand } from '../../src/servers/embedded/stop-command.js'

const CORE = fileURLToPath(new URL('../..', import.meta.url))
/** The repository's own pnpm (a root devDependency), so the test needs no global install. */
const PNPM_BIN = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url))

/** Runs a printed command line in a shell, in `cwd`, as a user would paste it. */
function shell(command: string, cwd: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${PNPM_BIN}${path.delimiter}${process.env.PATH}`,
  }
  for (const key of Object.keys(env))
    if (key.startsWith('npm_') || key === 'INIT_CWD') delete env[key]
  const run = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8', timeout: 60_000 })
  return { code: run.status, output: `${run.stdout}${run.stderr}` }
}

describe('the printed `server stop` command in a pnpm monorepo whose root does not depend on pgtestbed', () => {
  let root: string
  let cacheDir: string
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-stop-pnpm-'))
    cacheDir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-stop-pnpm-cache-'))
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
      writeFileSync(path.join(root, file), text)
    }
    write('package.json', '{ "name": "mono", "private": true }\n')
    write('pnpm-workspace.yaml', 'packages:\n  - packages/*\n')
    write(
      'packages/api/package.json',
      JSON.stringify({ name: '@acme/api', devDependencies: { '@pgtestbed/core': `link:${CORE}` } }),
    )
    write('packages/web/package.json', '{ "name": "@acme/web" }\n')
    // A linked package needs nothing from the registry.
    execFileSync(path.join(PNPM_BIN, 'pnpm'), ['install', '--offline'], {
      cwd: root,
      stdio: 'pipe',
    })
  }, 120_000)
  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
    rmSync(cacheDir, { recursive: true, force: true })
  })

  it('should name the package, and work at the root and in every package, where `pnpm exec pgtestbed` does not', () => {
    const command = serverStopCommand(cacheDir, path.join(root, 'packages/api'))
    expect(command).toBe(
      `pnpm --filter @acme/api exec pgtestbed server stop --cache-dir ${cacheDir}`,
    )
    for (const where of ['.', 'packages/web', 'packages/api']) {
      const run = shell(command, path.join(root, where))
      expect(run.output, where).toContain(`no embedded server is running for ${cacheDir}`)
      expect(run.code, where).toBe(0)
    }
    // The form printed before: not found at the root of such a monorepo.
    expect(shell(`pnpm exec pgtestbed server stop --cache-dir ${cacheDir}`, root).code).not.toBe(0)
  })
})
