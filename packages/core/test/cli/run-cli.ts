import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built CLI (`npx tsup` first): tests run what ships. */
export const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))

/** Fixture projects of the CLI tests. */
const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url))
/**
 * The cache folder (lint cache, embedded server state) of CLI runs that name none: inside this
 * package's node_modules, so runs in temp folders leave nothing in the machine's temp folder.
 */
const TEST_CACHE_DIR = fileURLToPath(
  new URL('../../node_modules/.cache/pgtestbed-cli-tests', import.meta.url),
)

/** A fixture project folder. */
export const fixture = (name: string) => path.join(FIXTURES, name)

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Working folder. Default: the fixtures folder. */
  cwd?: string
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>
}

/**
 * Runs `node dist/cli/bin.js …args` and collects its output. The environment is the test's minus
 * anything that would change the CLI's behaviour (PGTESTBED_URL, DATABASE_URL, colour settings),
 * plus a test cache folder unless the test's environment names one, plus `env`.
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx tsup\` in packages/core first`)
  const env: Record<string, string | undefined> = {
    PGTESTBED_CACHE_DIR: TEST_CACHE_DIR,
    ...process.env,
  }
  for (const key of ['PGTESTBED_URL', 'DATABASE_URL', 'NO_COLOR', 'FORCE_COLOR', 'CI'])
    delete env[key]
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? FIXTURES,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Copies a fixture project to a fresh temporary folder; remove it with the returned function. */
export async function copyFixture(
  name: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-cli-'))
  await cp(fixture(name), dir, { recursive: true })
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}
