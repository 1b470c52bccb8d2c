import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))

/** Bare imports reachable from a built file, following its relative imports (chunks). */
function bareImports(entry: string): { files: string[]; bare: string[] } {
  const files = new Set<string>()
  const bare = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\()\s*["']([^"']+)["']/g,
    )) {
      const spec = match[1]!
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec))
      else bare.add(spec)
    }
  }
  visit(path.join(DIST, entry))
  return { files: [...files], bare: [...bare].sort() }
}

function isNodeBuiltin(spec: string): boolean {
  return builtinModules.includes(spec.replace(/^node:/, ''))
}

describe.each(['worker.js', 'worker.cjs'])('the built worker entry %s', (entry) => {
  test('should load nothing but pg, picocolors and Node built-ins', () => {
    if (!existsSync(path.join(DIST, entry)))
      throw new Error(`${entry} is missing: run \`npx tsup\` in packages/core first`)
    const { bare, files } = bareImports(entry)
    expect(bare.filter((spec) => !isNodeBuiltin(spec))).toEqual(['pg', 'picocolors'])
    // Discovery, the servers, the config loader and the CLI stay out.
    const text = files.map((file) => readFileSync(file, 'utf8')).join('\n')
    for (const module of [
      'src/migrations/',
      'src/servers/',
      'src/config/',
      'src/cli/',
      'src/lint/',
    ]) {
      expect(text).not.toContain(`// ${module}`)
    }
  })

  test('should export what a test file needs', async () => {
    const worker = (await import(path.join(DIST, entry))) as Record<string, unknown>
    for (const name of [
      'cloneDatabase',
      'attachClone',
      'formatLeakedConnections',
      'isPgtestbedError',
      'PgtestbedError',
      'withTerminationGuard',
    ]) {
      expect(typeof worker[name], name).toBe('function')
    }
  })
})
