import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { LINT_RULE_CODES, LINT_RULES } from '../../src/lint/types.js'
import {
  READMES,
  REPO,
  codeBlocks,
  codeSpans,
  readRepoFile,
  tableAfter,
  type Table,
} from '../docs/markdown.js'
import { unionMembers } from '../docs/typescript.js'

const core = readRepoFile('packages/core/README.md')
const errorCodes = unionMembers('packages/core/src/errors.ts', 'ErrorCode')
const diagnosticCodes = unionMembers('packages/core/src/diagnostics.ts', 'DiagnosticCode')

/** Code → its row, for the rows whose first cell is one code span. */
function rowsByCode(table: Table): Map<string, string[]> {
  const rows = new Map<string, string[]>()
  for (const row of table.rows.slice(1)) {
    const [code] = codeSpans(row[0] ?? '')
    if (code === undefined) continue
    expect(rows.has(code), `${code} is listed twice`).toBe(false)
    rows.set(code, row)
  }
  return rows
}

describe('the core README errors section', () => {
  it('should list every ErrorCode of errors.ts, and no other, with a cause and a fix', () => {
    const rows = rowsByCode(tableAfter(core, '### Error codes'))
    expect([...rows.keys()].sort()).toEqual(errorCodes.map((c) => c.value).sort())
    for (const [code, [, cause, fix]] of rows) {
      expect(cause, `${code} has no cause`).toMatch(/\w{3}/)
      expect(fix, `${code} has no fix`).toMatch(/\w{3}/)
    }
  })

  it('should list every DiagnosticCode of diagnostics.ts except the LINT_ rules, and no other', () => {
    const rows = rowsByCode(tableAfter(core, '### Diagnostic codes'))
    expect([...rows.keys()].sort()).toEqual(diagnosticCodes.map((c) => c.value).sort())
    for (const [code, [, severity, when, fix]] of rows) {
      expect(severity, `${code} has no severity`).toMatch(/error|warning|—/)
      expect(when, `${code} says nothing`).toMatch(/\w{3}/)
      expect(fix, `${code} has no fix`).toMatch(/\w{3}|—/)
    }
  })

  it('should mark exactly the codes kept for compatibility as no longer reported', () => {
    const rows = rowsByCode(tableAfter(core, '### Diagnostic codes'))
    const retired = diagnosticCodes.filter((c) => /no longer reported/i.test(c.comment))
    expect(retired.map((c) => c.value)).toContain('EMPTY_DOWN')
    for (const { value } of diagnosticCodes) {
      const said = /no longer reported/i.test(rows.get(value)!.join(' '))
      expect(said, `${value}: "no longer reported" in the README`).toBe(
        retired.some((c) => c.value === value),
      )
    }
  })
})

describe('the lint rule tables', () => {
  for (const [readme, heading] of [
    ['packages/core/README.md', '## Lint rules'],
    ['packages/core/src/lint/README.md', '# Lint: unsafe migrations'],
  ] as const) {
    it(`should list every rule of LINT_RULES with its default severity in ${readme}`, () => {
      const rows = rowsByCode(tableAfter(readRepoFile(readme), heading))
      expect([...rows.keys()].sort()).toEqual([...LINT_RULE_CODES].sort())
      for (const code of LINT_RULE_CODES) {
        expect(rows.get(code)![1], code).toBe(LINT_RULES[code].severity)
      }
    })
  }
})

/** Upper-case names in code spans that are not error or diagnostic codes but may appear. */
const OTHER_NAMES = new Set([
  // environment variables pgtestbed reads or sets, and examples' own
  'PGTESTBED_URL',
  'PGTESTBED_CACHE_DIR',
  'PGTESTBED_EMBEDDED_STORAGE',
  'PGTESTBED_EMBEDDED_MEMORY_BUDGET',
  'PGTESTBED_DOCKER_IMAGE',
  'PGTESTBED_TEMPLATE_CACHE',
  'PGTESTBED_PG_DUMP',
  'PGTESTBED_DEBUG',
  'PGTESTBED_TEST_URL',
  'DATABASE_URL',
  'APP_DATABASE_URL',
  'FILE_DATABASE_URL',
  'NO_COLOR',
  'FORCE_COLOR',
  'NODE_OPTIONS',
  // the repository Dockerfile's build argument
  'NODE_IMAGE',
  // SQL and PostgreSQL
  'IS_TEMPLATE',
  'ALLOW_CONNECTIONS',
  'NOT_VALID',
])

/** The names `@pgtestbed/core` and `@pgtestbed/core/worker` export (constants among them). */
const exported = ['packages/core/src/index.ts', 'packages/core/src/worker.ts'].flatMap((file) =>
  [...readRepoFile(file).matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
    m[1]!.split(',').map((name) => name.trim()),
  ),
)

describe('codes named in the READMEs', () => {
  const known = new Set([
    ...exported,
    ...errorCodes.map((c) => c.value),
    ...diagnosticCodes.map((c) => c.value),
    ...LINT_RULE_CODES,
    ...OTHER_NAMES,
  ])
  for (const readme of READMES) {
    it(`should all exist in ${readme}`, () => {
      const text = readRepoFile(readme)
      const prose = codeBlocks(readme, text).reduce(
        (rest, block) => rest.replace(block.body, ''),
        text,
      )
      const named = [...prose.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]!)
      expect(named.filter((name) => !known.has(name))).toEqual([])
    })
  }
})

describe('links in the READMEs', () => {
  /** GitHub's heading anchors: lower case, punctuation dropped, spaces → hyphens. */
  function anchors(text: string): Set<string> {
    const found = new Set<string>()
    const inFence = codeBlocks('', text).map((b) => b.body)
    const headings = text
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line) && !inFence.some((body) => body.includes(line)))
    for (const heading of headings) {
      const slug = heading
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-')
      let unique = slug
      for (let n = 1; found.has(unique); n++) unique = `${slug}-${n}`
      found.add(unique)
    }
    return found
  }

  for (const readme of READMES) {
    it(`should point at files and headings that exist in ${readme}`, () => {
      const text = readRepoFile(readme)
      const broken: string[] = []
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue // https:, mailto:
        const [file = '', anchor] = target.split('#')
        const absolute =
          file === '' ? path.join(REPO, readme) : path.resolve(REPO, path.dirname(readme), file)
        if (!existsSync(absolute)) {
          broken.push(target)
          continue
        }
        if (anchor !== undefined && absolute.endsWith('.md')) {
          if (!anchors(readRepoFile(path.relative(REPO, absolute))).has(anchor)) broken.push(target)
        }
      }
      expect(broken).toEqual([])
    })
  }
})
