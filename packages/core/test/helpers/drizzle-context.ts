import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fg from 'fast-glob'
import type { FormatContext } from '../../src/migrations/files/formats/types.js'
import { drizzleFormat } from '../../src/migrations/files/formats/drizzle.js'

/** `test/fixtures/drizzle/<name>`, absolute. */
export function drizzleFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/drizzle/${name}`, import.meta.url))
}

/**
 * A FormatContext for a real folder, as discovery builds it: every file below `dir` (fast-glob,
 * sorted, `/` separators) and a memoised UTF-8 reader that counts reads per file.
 */
export async function folderContext(
  dir: string,
): Promise<FormatContext & { reads: Map<string, number> }> {
  const entries = (await fg('**/*', { cwd: dir, dot: false, onlyFiles: true })).sort()
  const cache = new Map<string, Promise<string>>()
  const reads = new Map<string, number>()
  return {
    dir,
    entries,
    reads,
    read(relativePath) {
      reads.set(relativePath, (reads.get(relativePath) ?? 0) + 1)
      let text = cache.get(relativePath)
      if (!text) {
        text = readFile(path.join(dir, relativePath), 'utf8')
        cache.set(relativePath, text)
      }
      return text
    },
    versionTable: drizzleFormat.defaultVersionTable,
    env: {},
  }
}

/** A FormatContext over in-memory files (for CRLF/BOM cases that git could rewrite on disk). */
export function memoryContext(
  files: Record<string, string>,
  dir = '/virtual/drizzle',
): FormatContext {
  return {
    dir,
    entries: Object.keys(files).sort(),
    async read(relativePath) {
      const text = files[relativePath]
      if (text === undefined) throw new Error(`ENOENT: no such file ${relativePath}`)
      return text
    },
    versionTable: drizzleFormat.defaultVersionTable,
    env: {},
  }
}

/** Loads a fixture folder with drizzleFormat. */
export async function loadDrizzleFixture(name: string) {
  const context = await folderContext(drizzleFixture(name))
  return { context, result: await drizzleFormat.load(context) }
}
