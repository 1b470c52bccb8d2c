import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BIN, fixture } from './run-cli.js'

/** How a CLI run whose stdout reader went away ended. */
interface ClosedRun {
  code: number | null
  stderr: string
}

/**
 * Runs the CLI with its stdout read by nobody: the pipe's reading end is closed before the CLI
 * has started, so its first write fails with EPIPE (what `pgtestbed check | head -1` does once
 * head has exited).
 */
function runWithClosedStdout(args: readonly string[], cwd: string): Promise<ClosedRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    for (const key of ['PGTESTBED_URL', 'DATABASE_URL', 'FORCE_COLOR', 'CI']) delete env[key]
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.destroy()
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

/** Runs `pgtestbed <args> | head -1` in a shell; returns head's line and the CLI's exit code. */
function runThroughHead(
  args: readonly string[],
  cwd: string,
): Promise<{ line: string; code: number; stderr: string }> {
  const command = `"${process.execPath}" "${BIN}" ${args.join(' ')} | head -1; echo "exit \${PIPESTATUS[0]}" >&2`
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', () => {
      const code = Number(/exit (\d+)\n$/.exec(stderr)?.[1])
      resolve({ line: stdout, code, stderr: stderr.replace(/exit \d+\n$/, '') })
    })
  })
}

describe('pgtestbed writing into a pipe that closes early', () => {
  it('should exit quietly with the exit code of its findings when nobody reads its output', async () => {
    const failing = await runWithClosedStdout(
      ['check', '--format', 'json', '--no-cache'],
      fixture('incident-duplicate-021'),
    )
    expect(failing.stderr).toBe('')
    expect(failing.code).toBe(1)

    const clean = await runWithClosedStdout(['check', '--no-cache'], fixture('goose-clean'))
    expect(clean.stderr).toBe('')
    expect(clean.code).toBe(0)
  })

  it('should print its first line through head -1 and keep its own exit code', async () => {
    const run = await runThroughHead(['check', '--no-cache'], fixture('incident-duplicate-021'))
    expect(run.line).toBe('migrations/021_create_notification_audit_table.sql\n')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(1)
  })
})
