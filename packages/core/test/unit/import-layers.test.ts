import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const PACKAGES = path.resolve(import.meta.dirname, '../../..')
const CORE_SRC = path.join(PACKAGES, 'core/src')

/**
 * Core's layers, lowest first. A file may import from its own layer and the layers below it,
 * never from a layer above: that keeps each concept usable (and testable) without the ones built
 * on it, and keeps import cycles out. An entry is a folder (`servers/`) or a file; the longest
 * entry that matches a path wins, so a folder can hand single files to another layer.
 */
const LAYERS: { name: string; why: string; paths: string[] }[] = [
  {
    name: 'vocabulary',
    why: 'coded errors, diagnostics and progress events: what every layer reports with',
    paths: ['errors.ts', 'diagnostics.ts', 'progress.ts'],
  },
  {
    name: 'internal',
    why: 'helpers that know no pgtestbed concept: connections, locks, processes, commands',
    paths: ['internal/'],
  },
  {
    name: 'migration files',
    why:
      "reading a project's migrations without a database: discover, parse (the SQL lexer), " +
      "validate, manifest; for a user's own tool (migrations/migrator/), its declared inputs",
    paths: ['migrations/types.ts', 'migrations/files/', 'migrations/migrator/'],
  },
  {
    name: 'lint',
    why: 'checks the parsed statements of migration files with a real SQL parser',
    paths: ['lint/'],
  },
  {
    name: 'schema comparison',
    why:
      "reads a database's catalog and compares two schemas; the migrator run, verifyDown and " +
      'the diff runs above all use it',
    paths: ['diff/'],
  },
  {
    name: 'migrations database',
    why: 'applies migrations to a database: version tables, status, rollback, a run of the user tool',
    paths: ['migrations/database/', 'migrations/migrator/run.ts'],
  },
  {
    name: 'servers',
    why: 'provides a PostgreSQL server (a URL, embedded, docker); knows nothing of templates',
    paths: ['servers/'],
  },
  {
    name: 'templates',
    why: 'builds the template database on a server (verifyDown included), clones, pools, sweeps',
    paths: ['templates/'],
  },
  {
    name: 'diff runs',
    why:
      'builds the two schemas a diff compares: scratch databases from templates, dumps, a ' +
      'command; the drift options',
    paths: [
      'diff/run.ts',
      'diff/targets.ts',
      'diff/origin.ts',
      'diff/dump.ts',
      'diff/drift-options.ts',
    ],
  },
  {
    name: 'testbed',
    why: 'the orchestrator: server, migrations, template, drift check, clones for one run',
    paths: ['testbed/'],
  },
  {
    name: 'config',
    why: "the user's config file: loads and validates the options of every layer below",
    paths: ['config/'],
  },
  {
    name: 'front ends',
    why:
      'what users and test runners call: the CLI, the runner layer, the worker code and the ' +
      'public entry files (any other file at the top of src/)',
    paths: ['cli/', 'runner/', 'worker/', ''],
  },
]

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(dir, file))
    .filter((file) => statSync(file).isFile())
}

/** Every module specifier a file imports or re-exports, `import type` and `import()` included. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return info.importedFiles.map((imported) => imported.fileName)
}

/** `./x.js` from `dir/a.ts` → the source path relative to `src/` (`dir/x.ts`). */
function resolveRelative(from: string, specifier: string): string {
  const target = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '.ts')
  return path.relative(CORE_SRC, target).split(path.sep).join('/')
}

function layerOf(file: string): number {
  let best = -1
  let length = -1
  LAYERS.forEach((layer, index) => {
    for (const entry of layer.paths) {
      const matches = entry === '' ? !file.includes('/') : file === entry || file.startsWith(entry)
      if (matches && entry.length > length) {
        best = index
        length = entry.length
      }
    }
  })
  return best
}

/** Core's imports between its own files, as `from -> to` paths relative to `src/`. */
function coreImports(): [string, string][] {
  const edges: [string, string][] = []
  for (const file of sourceFiles(CORE_SRC)) {
    const from = path.relative(CORE_SRC, file).split(path.sep).join('/')
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) edges.push([from, resolveRelative(file, specifier)])
    }
  }
  return edges
}

describe('import layers', () => {
  const edges = coreImports()

  it('should place every core source file in a layer', () => {
    const files = sourceFiles(CORE_SRC).map((f) =>
      path.relative(CORE_SRC, f).split(path.sep).join('/'),
    )
    expect(files.length).toBeGreaterThan(100)
    // '' (top-level files) catches the rest of src/, so only a file outside src/ could miss.
    expect(files.filter((file) => layerOf(file) < 0)).toEqual([])
  })

  it("should only import from the importing file's layer or below", () => {
    const upward = edges
      .filter(([from, to]) => layerOf(to) > layerOf(from))
      .map(
        ([from, to]) =>
          `${from} -> ${to} (${LAYERS[layerOf(from)]?.name} imports ${LAYERS[layerOf(to)]?.name})`,
      )
      .sort()
    expect(upward).toEqual([])
  })

  it('should keep migrations/ free of config/', () => {
    expect(
      edges.filter(([from, to]) => from.startsWith('migrations/') && to.startsWith('config/')),
    ).toEqual([])
  })

  it("should let the test-runner adapters import only core's public entries", () => {
    const allowed = new Set(['@pgtestbed/core', '@pgtestbed/core/worker', '@pgtestbed/core/runner'])
    const adapters = ['vitest', 'jest', 'node-test'].map((name) => path.join(PACKAGES, name))
    const found: string[] = []
    let checked = 0
    for (const root of adapters) {
      for (const file of sourceFiles(path.join(root, 'src'))) {
        checked++
        for (const specifier of importsOf(file)) {
          const intoCore = specifier.startsWith('@pgtestbed/core') && !allowed.has(specifier)
          // A relative import must stay in the adapter's own package (never reach into core).
          const outside =
            specifier.startsWith('.') &&
            path.relative(root, path.resolve(path.dirname(file), specifier)).startsWith('..')
          if (intoCore || outside)
            found.push(`${path.relative(PACKAGES, file)} imports ${specifier}`)
        }
      }
    }
    expect(checked).toBeGreaterThan(10)
    expect(found).toEqual([])
  })
})
