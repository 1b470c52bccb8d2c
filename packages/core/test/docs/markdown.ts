import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../../../', import.meta.url))

/** Every README the docs tests check, relative to the repository root. */
export const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/core/src/lint/README.md',
  'packages/vitest/README.md',
  'packages/jest/README.md',
  'packages/node-test/README.md',
  'examples/vitest-goose/README.md',
  'examples/jest-drizzle/README.md',
  'examples/workspace/README.md',
  'examples/vitest-prisma/README.md',
  'examples/jest-knex/README.md',
  'examples/recipes/README.md',
  'examples/node-test/README.md',
] as const

/** Reads a file of the repository (path relative to its root). */
export function readRepoFile(relative: string): string {
  return readFileSync(path.join(REPO, relative), 'utf8')
}

/** A fenced code block of a README. */
export interface CodeBlock {
  /** The README, relative to the repository root. */
  readme: string
  /** The info string's first word (`ts`, `sh`, or `''`). */
  lang: string
  body: string
  /** 1-based line of the opening fence. */
  line: number
  /**
   * What the `<!-- snippet: … -->` comment right above the fence (blank lines allowed between)
   * says, e.g. `typecheck` or `from examples/x/file.ts`; undefined without one.
   */
  marker: string | undefined
}

const FENCE = /^(\s*)(`{3,})(\S*)/

/** The fenced blocks of a markdown text, in order, with their snippet markers. */
export function codeBlocks(readme: string, text: string): CodeBlock[] {
  const lines = text.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) continue
    const [, indent = '', fence = '', lang = ''] = open
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !lines[j]!.trim().startsWith(fence)) {
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!)
      j++
    }
    let k = i - 1
    while (k >= 0 && lines[k]!.trim() === '') k--
    const marker = /^\s*<!-- snippet: (.+?) -->\s*$/.exec(lines[k] ?? '')?.[1]
    blocks.push({ readme, lang, body: `${body.join('\n')}\n`, line: i + 1, marker })
    i = j
  }
  return blocks
}

/** A markdown table: its rows (header row first) as trimmed cell texts. */
export interface Table {
  /** 1-based line of the header row. */
  line: number
  rows: string[][]
}

function cells(row: string): string[] {
  // Split on pipes that are not escaped (`\|` inside a cell).
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'))
}

/** The first table after `heading` (an exact heading line such as `### Error codes`). */
export function tableAfter(text: string, heading: string): Table {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.trim() === heading)
  if (start < 0) throw new Error(`no heading "${heading}"`)
  return tableFrom(lines, start + 1, heading)
}

/** Every table preceded by `<!-- options: <Type> from <file> -->`, with what the marker says. */
export function optionTables(text: string): { type: string; file: string; table: Table }[] {
  const lines = text.split('\n')
  const found: { type: string; file: string; table: Table }[] = []
  lines.forEach((line, i) => {
    const marker = /^<!-- options: (\w+) from (\S+) -->$/.exec(line.trim())
    if (marker) {
      found.push({ type: marker[1]!, file: marker[2]!, table: tableFrom(lines, i + 1, line) })
    }
  })
  return found
}

function tableFrom(lines: string[], from: number, after: string): Table {
  let i = from
  while (i < lines.length && !lines[i]!.trim().startsWith('|')) {
    if (/^#{1,6} /.test(lines[i]!)) throw new Error(`no table after "${after}"`)
    i++
  }
  const rows: string[][] = []
  const line = i + 1
  for (; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
    if (/^\|[\s:|-]+\|$/.test(lines[i]!.trim())) continue // the separator row
    rows.push(cells(lines[i]!))
  }
  if (rows.length === 0) throw new Error(`no table after "${after}"`)
  return { line, rows }
}

/** The `code` spans of a cell: "`a`, `b`" → ['a', 'b']. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
}
