import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { packageDir } from './helpers.js'

const run = promisify(execFile)
const example = path.resolve(packageDir, '../../examples/vitest-goose')
const coreVersion = (
  JSON.parse(readFileSync(path.resolve(packageDir, '../core/package.json'), 'utf8')) as {
    version: string
  }
).version

// pnpm links the commands of direct dependencies only: the example depends on @pgtestbed/vitest
// alone, so its `pgtestbed` command is the one this package ships.
describe('the pgtestbed command of @pgtestbed/vitest', () => {
  test('should run core’s CLI as `npx pgtestbed` in a project that installed only the plugin', async () => {
    const help = await run('npx', ['pgtestbed', '--help'], { cwd: example })
    expect(help.stdout).toContain('Usage: pgtestbed [options] [command]')
    expect(help.stdout).toMatch(/^ {2}manifest \[options\] +write \(--write\) or verify/m)
    const version = await run('npx', ['pgtestbed', '--version'], { cwd: example })
    expect(version.stdout.trim()).toBe(coreVersion)
  })

  test('should pass the arguments and the exit code through', async () => {
    const failed = await run('npx', ['pgtestbed', 'check', '--dir', 'no-such-folder'], {
      cwd: example,
    }).catch((error: { code: number; stdout: string }) => error)
    expect('code' in failed && failed.code).toBe(2)
    expect(failed.stdout).toContain(
      `DIR_NOT_FOUND  the migrations folder ${path.join(example, 'no-such-folder')}`,
    )
  })
})
