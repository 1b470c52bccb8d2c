import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
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

/** The blocks after a `<!-- snippet: <kind> -->` marker, in README order. */
function snippets(kind: string): { lang: string; body: string }[] {
  const marker = new RegExp(`<!-- snippet: ${kind} -->\\n\\n\`\`\`(\\w+)\\n([\\s\\S]*?)\`\`\``, 'g')
  return [...readme.matchAll(marker)].map((m) => ({ lang: m[1]!, body: m[2]! }))
}

type Container = { name: string; image: string; args?: string[]; command?: string[] }
type JobYaml = {
  spec: {
    backoffLimit: number
    template: { spec: { restartPolicy: string; containers: Container[] } }
  }
}
type DeploymentYaml = { spec: { template: { spec: { initContainers: Container[] } } } }
/** A parsed manifest as the models' constructors take it (they validate what they are given). */
const asModel = <T>(value: unknown) => value as T

describe('the README container snippets (Migrations in containers)', () => {
  const docker = snippets('docker-lane')
  const compose = parse(docker.find((b) => b.lang === 'yaml')!.body) as {
    services: Record<string, Record<string, unknown>>
  }
  const [job, deployment] = snippets('k8s').map((b) => parse(b.body)) as [JobYaml, DeploymentYaml]
  const dockerfile = readFileSync(path.join(root, '../../Dockerfile'), 'utf8')

  it('should describe the repository Dockerfile: base as a build argument, non-root, pgtestbed up', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=\S+$/m)
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\}$/m)
    expect(dockerfile).toMatch(/^USER 10001:10001$/m)
    expect(dockerfile).toContain('ENTRYPOINT ["pgtestbed"]')
    expect(dockerfile).toContain('CMD ["up"]')
    // The working folder is /, so every command's default ./migrations is /migrations.
    expect(dockerfile).toMatch(/^WORKDIR \/$/m)
    const [build] = docker.filter((b) => b.lang === 'sh')
    expect(build!.body).toContain(`docker build -t pgtestbed:${version} .`)
    const [own] = docker.filter((b) => b.lang === 'dockerfile')
    expect(own!.body).toBe(`FROM pgtestbed:${version}\nCOPY migrations /migrations\n`)
  })

  it('should start app only after migrate completed, and migrate with --wait from the mounted folder', async () => {
    const { db, migrate, app } = compose.services
    expect(db).toBeDefined()
    expect(migrate).toMatchObject({
      image: `pgtestbed:${version}`,
      volumes: ['./migrations:/migrations:ro'],
      depends_on: ['db'],
    })
    expect(app!.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } })
    const env = migrate!.environment as Record<string, string>
    expect(env.PGTESTBED_URL).toMatch(/^postgres:\/\/\S+@db:5432\//)
    const args = migrate!.command as string[]
    expect(args.slice(0, 2)).toEqual(['up', '--wait'])
    await withScratchDatabase(async (client, url) => {
      const run = await runCli(args, { cwd: fixture('goose-clean'), env: { PGTESTBED_URL: url } })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('applied 3 migrations')
      const { rows } = await client.query('SELECT count(*)::int AS n FROM goose_db_version')
      expect(rows).toEqual([{ n: 4 }])
    })
  })

  it('should hold a Job and a Deployment that the Kubernetes schema accepts', () => {
    expect(() => new Job(asModel<IJob>(job)).validate()).not.toThrow()
    expect(() => new Deployment(asModel<IDeployment>(deployment)).validate()).not.toThrow()
    // The check can fail: a misspelt field is refused.
    const typo = structuredClone(job)
    typo.spec.template.spec.restartPolicy = 'Sometimes'
    expect(() => new Job(asModel<IJob>(typo)).validate()).toThrow()
  })

  it('should never restart a failed Job pod in place, and gate the app on status --check', async () => {
    const pod = job.spec.template.spec
    expect(pod.restartPolicy).toBe('Never')
    expect(job.spec.backoffLimit).toBeGreaterThan(0)
    const [migrate] = pod.containers
    const [gate] = deployment.spec.template.spec.initContainers
    expect(migrate!.command).toBeUndefined() // the image's ENTRYPOINT runs pgtestbed
    expect(gate!.image).toBe(migrate!.image)
    // The contract, run: the gate exits 3 before the Job ran, the Job exits 0, then the gate 0.
    await withScratchDatabase(async (_client, url) => {
      const options = { cwd: fixture('goose-clean'), env: { PGTESTBED_URL: url } }
      expect((await runCli(gate!.args!, options)).code).toBe(3)
      expect((await runCli(migrate!.args!, options)).code).toBe(0)
      expect((await runCli(gate!.args!, options)).code).toBe(0)
    })
  })
})

describe('the README CLI snippets', () => {
  it('should pass the pre-commit hook command on clean migrations', async () => {
    const [hook] = blocks('sh')
    expect(hook!.trim()).toBe('npx pgtestbed check')
    const run = await runCli(['check'], { cwd: fixture('goose-clean') })
    expect(run.code).toBe(0)
  })
})
