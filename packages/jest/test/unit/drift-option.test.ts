import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { resolveOptions } from '../../src/options.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('the drift and diff options', () => {
  test("should reach core's startTestbed as given, from the Jest options or a config file", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-jest-drift-'))
    dirs.push(root)
    writeFileSync(path.join(root, 'package-lock.json'), '{}')
    writeFileSync(
      path.join(root, 'pgtestbed.config.json'),
      JSON.stringify({ drift: { command: 'npx drizzle-kit push --force' } }),
    )
    const fromFile = await resolveOptions({ rootDir: root, options: {} })
    expect(fromFile.testbed.drift).toEqual({ command: 'npx drizzle-kit push --force', cwd: root })

    const drift = { url: 'postgres://app@staging:5432/app' }
    const fromJest = await resolveOptions({
      rootDir: root,
      options: { drift, diff: { ignore: ['table public.audit_*'] } },
    })
    expect(fromJest.testbed.drift).toEqual(drift)
    expect(fromJest.testbed.diff).toEqual({ ignore: ['table public.audit_*'] })
  })
})
