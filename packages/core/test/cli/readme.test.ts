import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { withScratchDatabase } from '../helpers/pg.js'
import { fixture, runCli } from './run-cli.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string
}

/** The fenced blocks of one language in the README's CLI section. */
function blocks(language: string): string[] {
  const cli = readme.slice(readme.indexOf('## CLI'))
  return [...cli.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1]!,
  )
}

/** The `command: [...]` of a YAML block, and the pgtestbed arguments after `npx --yes @pgtestbed/core@x`. */
function commandOf(yaml: string): { command: string[]; args: string[] } {
  const line = /^\s*command: (\[.*\])$/m.exec(yaml)
  expect(line, 'no command: line').not.toBeNull()
  // A YAML flow sequence of plain quoted strings: JSON once its quotes are double.
  const command = JSON.parse(line![1]!.replace(/'/g, '"')) as string[]
  expect(command.slice(0, 3)).toEqual(['npx', '--yes', `@pgtestbed/core@${version}`])
  return { command, args: command.slice(3) }
}

describe('the README CLI snippets', () => {
  const [compose, job] = blocks('yaml')

  it('should run the compose migrate service command against PGTESTBED_URL with exit code 0', async () => {
    expect(compose).toContain('image: node:20-alpine')
    expect(compose).toContain('condition: service_completed_successfully')
    expect(compose).toMatch(/^\s+PGTESTBED_URL: postgres:\/\/\S+$/m)
    // The service runs in /app with ./migrations mounted at /app/migrations.
    expect(compose).toContain('- ./migrations:/app/migrations:ro')
    expect(compose).toContain('working_dir: /app')
    const { args } = commandOf(compose!)
    await withScratchDatabase(async (client, url) => {
      const run = await runCli(args, { cwd: fixture('goose-clean'), env: { PGTESTBED_URL: url } })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('applied 3 migrations')
      const { rows } = await client.query('SELECT count(*)::int AS n FROM goose_db_version')
      expect(rows).toEqual([{ n: 4 }])
    })
  })

  it('should run the Kubernetes Job command with its --dir and never restart a failed pod in place', async () => {
    expect(job).toContain('kind: Job')
    expect(job).toMatch(/^\s+restartPolicy: Never$/m)
    expect(job).toMatch(/^\s+backoffLimit: \d+$/m)
    expect(job).toContain('- name: PGTESTBED_URL')
    expect(job).toContain('mountPath: /migrations')
    const { args } = commandOf(job!)
    expect(args).toEqual(['up', '--dir', '/migrations'])
    const migrations = path.join(fixture('goose-clean'), 'migrations')
    await withScratchDatabase(async (_client, url) => {
      const run = await runCli(['up', '--dir', migrations], { env: { PGTESTBED_URL: url } })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('applied 3 migrations')
    })
  })

  it('should pass the pre-commit hook command on clean migrations', async () => {
    const [hook] = blocks('sh')
    expect(hook!.trim()).toBe('npx pgtestbed check')
    const run = await runCli(['check'], { cwd: fixture('goose-clean') })
    expect(run.code).toBe(0)
  })
})
