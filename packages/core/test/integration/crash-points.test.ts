import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CrashPoint } from '../../src/internal/crash-points.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { listDatabases } from '../../src/templates/ownership.js'
import { runCli } from '../cli/run-cli.js'
import { gooseProject, type GooseProject } from '../helpers/goose-project.js'
import { TEST_SERVER_URL } from '../helpers/pg.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, '../fixtures/templates/crash-child.mjs')
const DIST = path.join(here, '../../dist/index.js')

/** Every named kill point, and the kind of database it is hit for. */
const POINTS: Array<`${CrashPoint}:${string}` | CrashPoint> = [
  'after-create:build',
  'after-record:build',
  'before-seal',
  'after-seal',
  'after-rename',
  'after-create:clone',
  'after-record:clone',
  'after-create:pool',
  'after-record:pool',
  'after-claim',
]

const projects: GooseProject[] = []
beforeAll(() => {
  if (!existsSync(DIST))
    throw new Error(`${DIST} is missing: run \`npx tsup\` in packages/core first`)
})
afterAll(async () => {
  for (const p of projects) await p.cleanup()
  await closeAdminPools()
})

function runChild(
  cwd: string,
  crashAt: string,
): Promise<{ signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      PGTESTBED_CRASH_AT: crashAt,
      PGTESTBED_CHILD: JSON.stringify({
        options: { server: 'url', url: TEST_SERVER_URL, cwd, env: {}, sweep: false },
      }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => child.on('close', (_code, signal) => resolve({ signal, stderr })))
}

const names = () =>
  withAdminClient(TEST_SERVER_URL, async (c) => (await listDatabases(c)).map((e) => e.name))

describe('a crash at every point of create → record → seal → rename → claim', () => {
  test.each(POINTS)(
    'should leave nothing that gc cannot remove after a SIGKILL at %s',
    async (point) => {
      const p = await gooseProject({ migrations: 2 })
      projects.push(p)
      const before = new Set(await names())
      const { signal, stderr } = await runChild(p.cwd, point)
      expect(signal, stderr).toBe('SIGKILL')
      const left = (await names()).filter((n) => !before.has(n))
      expect(left.length, 'the kill left something to clean up').toBeGreaterThan(0)

      // The killed process's sessions end when the server notices: gc retries briefly.
      let gone: string[] = []
      let stdout = ''
      for (let i = 0; i < 20; i++) {
        const gc = await runCli(
          ['gc', '--url', TEST_SERVER_URL, '--keep-templates', '0', '--format', 'json'],
          {
            env: { PGTESTBED_URL: undefined },
          },
        )
        expect(gc.code, gc.stderr).toBe(0)
        stdout = gc.stdout
        const report = JSON.parse(gc.stdout) as { kept: Array<{ name: string; reason: string }> }
        for (const entry of report.kept.filter((e) => left.includes(e.name))) {
          expect(entry.reason).not.toMatch(/not created by pgtestbed/)
        }
        const now = new Set(await names())
        gone = left.filter((n) => !now.has(n))
        if (left.every((n) => gone.includes(n) || n.startsWith('pgtestbed_tpl_'))) break
        await sleep(250)
      }
      // A complete template that was just built is kept (used minutes ago); everything else goes.
      const remaining = left.filter((n) => !gone.includes(n))
      expect(
        remaining.filter((n) => !n.startsWith('pgtestbed_tpl_')),
        stdout,
      ).toEqual([])
    },
    60_000,
  )
})
