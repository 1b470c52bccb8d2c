import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli/program.js'
import { validateConfig } from '../../src/config/validate.js'
import { lintMigrations } from '../../src/lint/run.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import {
  checkManifest,
  computeManifest,
  formatManifest,
} from '../../src/migrations/files/manifest.js'
import {
  READMES,
  REPO,
  codeBlocks,
  codeSpans,
  optionTables,
  readRepoFile,
  type CodeBlock,
} from '../docs/markdown.js'
import { createDocsProgram, optionsOf, type DocsProgram } from '../docs/typescript.js'

// Every code block of every README is exercised here, by the kind its `<!-- snippet: … -->`
// marker names, or (shell and output blocks) by the commands it shows:
// - `typecheck [in <dir>]`: compiled as a module living in <dir> (default: the README's folder),
//   with `@pgtestbed/*` resolved to the packages' sources;
// - `from <file>`: the block is the whole of that file (a real example or fixture that runs in
//   CI), so that every file a README tells you to write runs as shown, never a fragment;
// - `config`: a pgtestbed.config.json that the config validator accepts;
// - `jest-config`: a Jest config that gets pgtestbed's entries and whose pgtestbed options are valid;
// - `ci-service`: a CI service container whose PGTESTBED_URL matches the container;
// - `ci-embedded`: a CI recipe on the embedded server whose cache folder, template cache and
//   cache key agree (the run itself: test/integration/template-snapshot.test.ts);
// - `cli-readme-test`: run by test/cli/readme.test.ts;
// - `drift-readme-test`: the root README's schema-drift hook and CI step, run by test/cli/diff.test.ts;
// - `sh` and output blocks: each `pgtestbed` command and flag exists; `pnpm add` names real packages.

const blocks = READMES.flatMap((readme) => codeBlocks(readme, readRepoFile(readme)))
const where = (block: CodeBlock) => `${block.readme}:${block.line}`
const kindOf = (block: CodeBlock) => block.marker?.split(' ')[0]

/** Languages whose blocks are code and must say how they are exercised. */
const CODE = new Set(['ts', 'tsx', 'js', 'mjs', 'cjs', 'json', 'sql', 'yaml', 'yml'])
const SHELL = new Set(['sh', 'bash', 'shell'])

describe('README code blocks', () => {
  it('should each carry a snippet marker of a known kind when they are code', () => {
    const kinds = new Set([
      'typecheck',
      'from',
      'config',
      'jest-config',
      'ci-service',
      'ci-embedded',
      'cli-readme-test',
      'drift-readme-test',
      'docker-lane',
      'k8s',
    ])
    const unmarked = blocks.filter((b) => CODE.has(b.lang) && b.marker === undefined).map(where)
    expect(unmarked, 'code blocks without a <!-- snippet: … --> marker').toEqual([])
    const unknown = blocks.filter((b) => b.marker !== undefined && !kinds.has(kindOf(b)!))
    expect(unknown.map((b) => `${where(b)} ${b.marker}`)).toEqual([])
  })
})

describe('TypeScript snippets', () => {
  const snippets = blocks.filter((b) => kindOf(b) === 'typecheck')
  const fileOf = new Map<CodeBlock, string>()
  for (const block of snippets) {
    const dir = /^typecheck in (\S+)$/.exec(block.marker!)?.[1] ?? path.dirname(block.readme)
    const name = `${block.readme.replace(/[/.]/g, '-')}-${block.line}.mts`
    fileOf.set(block, path.join(REPO, dir, '__readme__', name))
  }
  const optionFiles = READMES.flatMap((r) => optionTables(readRepoFile(r)).map((t) => t.file))
  let docs: DocsProgram
  beforeAll(() => {
    docs = createDocsProgram(new Map(snippets.map((block) => [fileOf.get(block)!, block.body])), [
      ...new Set(optionFiles),
    ])
  })

  it('should find the snippets the READMEs show', () => {
    expect(snippets.length).toBeGreaterThan(15)
  })

  it('should compile every one without a type error', () => {
    const failures = snippets.flatMap((block) =>
      docs.errorsOf(fileOf.get(block)!).map((error) => `${where(block)} ${error}`),
    )
    expect(failures).toEqual([])
  })

  describe('option tables', () => {
    const required = [
      ['packages/core/README.md', 'PgtestbedConfig'],
      ['packages/core/README.md', 'EmbeddedOptions'],
      ['packages/core/README.md', 'DockerOptions'],
      ['packages/vitest/README.md', 'PgtestbedPluginOptions'],
      ['packages/jest/README.md', 'PgtestbedJestOptions'],
    ]
    const tables = READMES.flatMap((readme) =>
      optionTables(readRepoFile(readme)).map((t) => ({ readme, ...t })),
    )

    it('should be there for every options type users write', () => {
      expect(tables.map((t) => [t.readme, t.type])).toEqual(expect.arrayContaining(required))
    })

    for (const { readme, type, file, table } of tables) {
      it(`should list every key of ${type} in ${readme}, each with the default its JSDoc states`, () => {
        const documented = optionsOf(docs, file, type)
        const rows = table.rows.slice(1)
        const keys = rows.flatMap((row) => codeSpans(row[0] ?? ''))
        expect([...keys].sort()).toEqual(documented.map((o) => o.name).sort())
        for (const row of rows) {
          const cell = (row[1] ?? '').replace(/`/g, '')
          for (const key of codeSpans(row[0] ?? '')) {
            const stated = documented.find((o) => o.name === key)?.defaultText
            expect(cell, `${readme}: the default of ${key}`).toMatch(/\S/)
            const code = stated?.startsWith('`') ? codeSpans(stated)[0] : undefined
            const number = /^\d[\d_,]*/.exec(stated ?? '')?.[0]?.replace(/[_,]/g, '')
            const expected = code?.replace(/^process\.env\./, '$') ?? number
            if (expected !== undefined) {
              expect(cell, `${readme}: the default of ${key} (JSDoc: ${stated})`).toContain(
                expected,
              )
            }
          }
        }
      })
    }
  })
})

describe('snippets of real files', () => {
  for (const block of blocks.filter((b) => kindOf(b) === 'from')) {
    const file = block.marker!.slice('from '.length)
    it(`should show the whole of ${file} at ${where(block)}`, () => {
      expect(block.body).toBe(readRepoFile(file))
    })
  }
})

describe('config snippets', () => {
  for (const block of blocks.filter((b) => kindOf(b) === 'config')) {
    it(`should be a valid pgtestbed.config.json at ${where(block)}`, () => {
      expect(validateConfig(JSON.parse(block.body), where(block))).toEqual(JSON.parse(block.body))
    })
  }

  let jestPackage: { preset: Record<string, string> }
  beforeAll(async () => {
    // Not a static import: the Jest package is another package's source.
    jestPackage = await import(path.join(REPO, 'packages/jest/src/index.ts'))
  })
  const exported = Object.keys(
    (JSON.parse(readRepoFile('packages/jest/package.json')) as { exports: object }).exports,
  ).map((key) => key.replace(/^\./, '@pgtestbed/jest'))

  /** Runs a `jest.config.js` / `.mjs` snippet (CommonJS or `export default`) and returns the config. */
  function evaluate(body: string): Record<string, unknown> {
    const module = { exports: {} as Record<string, unknown> }
    const require = (name: string) => {
      if (name === '@pgtestbed/jest') return jestPackage
      throw new Error(`the snippet requires ${name}`)
    }
    const source = body.replace(/^export default /m, 'module.exports = ')
    new Function('module', 'exports', 'require', source)(module, module.exports, require)
    return module.exports
  }

  for (const block of blocks.filter((b) => kindOf(b) === 'jest-config')) {
    it(`should give every project pgtestbed's entries and valid options at ${where(block)}`, () => {
      const config = evaluate(block.body)
      const projects = (config.projects as Record<string, unknown>[] | undefined) ?? [config]
      for (const project of projects) {
        const usesPreset =
          project.preset === '@pgtestbed/jest' ||
          project.testEnvironment === jestPackage.preset.testEnvironment
        const named = ['globalSetup', 'globalTeardown', 'testEnvironment'].map((k) => project[k])
        expect(usesPreset || named.every((entry) => exported.includes(String(entry)))).toBe(true)
        const options = (project.testEnvironmentOptions as { pgtestbed?: unknown } | undefined)
          ?.pgtestbed
        if (options !== undefined) validateConfig(options, where(block))
      }
    })
  }
})

describe('the docs fixture (lint suppression, manifest)', () => {
  const suppression = blocks.filter((b) =>
    b.marker?.endsWith('/lint-suppression/00002_reviewed.sql'),
  )
  const fixture = path.join(REPO, 'packages/core/test/fixtures/docs/lint-suppression')

  it('should be the same example everywhere', () => {
    expect(suppression.length).toBeGreaterThanOrEqual(2)
    expect(new Set(suppression.map((b) => b.body)).size).toBe(1)
  })

  it('should hold the pgtestbed.sum the README shows, as pgtestbed computes it', async () => {
    const set = await discoverMigrations({ migrations: fixture })
    const shown = blocks.filter((b) => b.marker?.endsWith('/lint-suppression/pgtestbed.sum'))
    expect(shown).toHaveLength(1)
    expect(formatManifest(await computeManifest(set))).toBe(shown[0]!.body)
    expect(await checkManifest(set)).toEqual([])
  })

  it('should silence every finding of its commands, which are reported without the comments', async () => {
    const set = await discoverMigrations({ migrations: fixture })
    expect(set.diagnostics).toEqual([])
    expect(await lintMigrations(set)).toEqual([])
    // The same migrations without the comments, in a folder of their own.
    const bare = await mkdtemp(path.join(tmpdir(), 'pgtestbed-docs-'))
    try {
      for (const file of readdirSync(fixture)) {
        const text = readFileSync(path.join(fixture, file), 'utf8')
        writeFileSync(
          path.join(bare, file),
          text.replace(/^\s*-- pgtestbed-lint-ignore .*\n/gm, ''),
        )
      }
      const diagnostics = await lintMigrations(await discoverMigrations({ migrations: bare }))
      expect(diagnostics.map((d) => d.code).sort()).toEqual([
        'LINT_ALTER_COLUMN_TYPE',
        'LINT_DROP_COLUMN',
        'LINT_LOCK_TIMEOUT_MISSING',
      ])
    } finally {
      await rm(bare, { recursive: true, force: true })
    }
  })
})

describe('the CI service container snippet', () => {
  for (const block of blocks.filter((b) => kindOf(b) === 'ci-service')) {
    it(`should point PGTESTBED_URL at the service's published port and password at ${where(block)}`, () => {
      const password = /POSTGRES_PASSWORD: (\S+)/.exec(block.body)?.[1]
      const port = /- (\d+):5432\b/.exec(block.body)?.[1]
      const url = new URL(/PGTESTBED_URL: (\S+)/.exec(block.body)![1]!)
      expect(block.body).toMatch(/image: postgres:\d+/)
      expect([url.username, url.password, url.hostname, url.port]).toEqual([
        'postgres',
        password,
        'localhost',
        port,
      ])
    })
  }
})

describe('the CI recipe on the embedded server', () => {
  for (const block of blocks.filter((b) => kindOf(b) === 'ci-embedded')) {
    it(`should cache, export to and read from one folder, keyed by the lockfile and the migrations, at ${where(block)}`, () => {
      const folder = /PGTESTBED_TEMPLATE_CACHE: (\S+)/.exec(block.body)?.[1]
      expect(folder).toBeDefined()
      expect([...block.body.matchAll(/path: (\S+)/g)].map((m) => m[1])).toEqual([folder, folder])
      expect(block.body).toContain(`pgtestbed template export ${folder}`)
      const keys = [...block.body.matchAll(/key: (.+)/g)].map((m) => m[1])
      expect(new Set(keys).size).toBe(1)
      expect(keys[0]).toMatch(/hashFiles\('pnpm-lock\.yaml', 'migrations\/\*\*'\)/)
      expect(block.body).not.toMatch(/services:|PGTESTBED_URL/)
    })
  }
})

describe('snippets run by the CLI README test', () => {
  it('should be the container blocks that test reads, after the core CLI heading', () => {
    const core = 'packages/core/README.md'
    const text = readRepoFile(core)
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length
    const section = lineOf(text.indexOf('### Migrations in containers'))
    const next = lineOf(text.indexOf('\n## Errors\n'))
    const inSection = blocks.filter((b) => b.readme === core && b.line > section && b.line < next)
    const marked = blocks.filter((b) => ['docker-lane', 'k8s'].includes(kindOf(b)!))
    expect(marked).toEqual(inSection)
    expect(marked.map((b) => `${kindOf(b)} ${b.lang}`)).toEqual([
      'docker-lane sh',
      'docker-lane yaml',
      'docker-lane dockerfile',
      'k8s yaml',
      'k8s yaml',
    ])
    const test = readRepoFile('packages/core/test/cli/readme.test.ts')
    expect(test).toContain("snippets('docker-lane')")
    expect(test).toContain("snippets('k8s')")
  })
})

describe('shell commands in the READMEs', () => {
  const program = buildProgram({
    output: { out: process.stdout, err: process.stderr, colors: false, print: () => {} } as never,
    env: {},
    cwd: REPO,
    exit: () => {},
  })
  const commands = blocks.flatMap((block) => {
    const shell = SHELL.has(block.lang)
    return block.body
      .split('\n')
      .filter((line) => shell || line.startsWith('$ '))
      .map((line) => ({
        block,
        line: line
          .replace(/^\$ /, '')
          .replace(/\s+#.*$/, '')
          .trim(),
      }))
      .filter(({ line }) => line !== '')
  })

  function findCommand(words: string[]): { command: Command; rest: string[] } {
    let command: Command = program
    let rest = words
    for (;;) {
      const next = command.commands.find((c) => c.name() === rest[0])
      if (!next) return { command, rest }
      command = next
      rest = rest.slice(1)
    }
  }

  it('should only use pgtestbed commands and flags that exist', () => {
    const wrong: string[] = []
    for (const { block, line } of commands) {
      const match = /^(?:[A-Z_]+=\S+ )*(?:npx |pnpm )?pgtestbed((?: \S+)*)$/.exec(line)
      if (!match) continue
      // A quoted argument (`--command "npx drizzle-kit push --force"`) is one word.
      const words = match[1]!
        .replace(/"[^"]*"|'[^']*'/g, 'ARG')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
      const { command, rest } = findCommand(words)
      if (command === program) wrong.push(`${where(block)} unknown command: ${line}`)
      const flags = command.options.flatMap((o) => [o.long, o.short]).concat('--help', '-h')
      for (const word of rest.filter((w) => w.startsWith('-'))) {
        if (!flags.includes(word.split('=')[0])) wrong.push(`${where(block)} ${word}: ${line}`)
      }
    }
    expect(wrong).toEqual([])
    expect(commands.some(({ line }) => line.includes('pgtestbed server stop'))).toBe(true)
  })

  it('should only install packages that exist', () => {
    const known = new Set<string>()
    const packageFiles = ['packages', 'examples'].flatMap((dir) =>
      readdirSync(path.join(REPO, dir)).map((name) => path.join(dir, name, 'package.json')),
    )
    for (const file of packageFiles.filter((f) => existsSync(path.join(REPO, f)))) {
      const pkg = JSON.parse(readRepoFile(file)) as Record<string, Record<string, string>>
      known.add(pkg.name as unknown as string)
      for (const field of [
        'dependencies',
        'devDependencies',
        'peerDependencies',
        'optionalDependencies',
      ]) {
        for (const name of Object.keys(pkg[field] ?? {})) known.add(name)
      }
    }
    const unknown: string[] = []
    for (const { block, line } of commands) {
      const install = /^(?:pnpm add|npm install)((?: \S+)+)$/.exec(line)
      if (!install) continue
      const names = install[1]!
        .trim()
        .split(/\s+/)
        .filter((w) => !w.startsWith('-'))
      for (const name of names) {
        if (!known.has(name.replace(/(?<=.)@.*$/, ''))) unknown.push(`${where(block)} ${name}`)
      }
    }
    expect(unknown).toEqual([])
  })
})
