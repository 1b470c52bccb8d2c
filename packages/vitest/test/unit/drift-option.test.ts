import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { resolveProjectOptions } from '../../src/node/resolve-options.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('the drift and diff options', () => {
  test("should reach core's startTestbed as given, from the plugin or a config file", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-vitest-drift-'))
    dirs.push(root)
    writeFileSync(path.join(root, 'pnpm-lock.yaml'), '')
    writeFileSync(
      path.join(root, 'pgtestbed.config.json'),
      JSON.stringify({ drift: { file: 'db/schema.sql' }, diff: { ignore: ['schema partman'] } }),
    )
    const place = { root, name: '', configFile: undefined }
    const fromFile = await resolveProjectOptions({}, place)
    expect(fromFile.testbed.drift).toEqual({ file: path.join(root, 'db/schema.sql') })
    expect(fromFile.testbed.diff).toEqual({ ignore: ['schema partman'] })

    const drift = { command: 'npx drizzle-kit push --force', inputs: ['src/schema.ts'] }
    const fromPlugin = await resolveProjectOptions({ drift }, place)
    expect(fromPlugin.testbed.drift).toEqual(drift)
    // A different drift target is another testbed.
    expect(fromPlugin.key).not.toBe(fromFile.key)
  })

  test('should reject a drift option with two targets, naming it', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-vitest-drift-'))
    dirs.push(root)
    writeFileSync(path.join(root, 'pnpm-lock.yaml'), '')
    const error = await resolveProjectOptions(
      { drift: { command: 'x', file: 'y' } as never },
      { root, name: '', configFile: undefined },
    ).catch((e: Error & { code?: string }) => e)
    expect((error as { code?: string }).code).toBe('INVALID_OPTIONS')
    expect((error as Error).message).toContain(
      '`drift` must have exactly one of command, url, file; it has command and file',
    )
  })
})
