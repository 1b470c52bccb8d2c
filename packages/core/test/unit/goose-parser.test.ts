/**
 * Golden-file tests for the goose parser. Adding a case is adding a folder:
 * - `fixtures/goose-parser/valid/<case>/input.sql` + `case.json` (about, optional env, useTx and
 *   every statement's line range) + one `NN.<up|down>.golden.sql` per statement (exact, no final
 *   newline). Run with `PGTESTBED_UPDATE_GOLDEN=1` to (re)write the expected files from the parser,
 *   then review the diff by hand.
 * - `fixtures/goose-parser/invalid/<name>.sql` + a row in INVALID below.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { DiagnosticCode } from '../../src/diagnostics.js'
import { parseGooseSql, type GooseSection } from '../../src/migrations/files/sqlparser/goose.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/goose-parser')
const VALID = path.join(ROOT, 'valid')
const INVALID = path.join(ROOT, 'invalid')
const UPDATE = process.env.PGTESTBED_UPDATE_GOLDEN === '1'

interface ExpectedStatement {
  line: number
  endLine: number
  omittedLines?: number[]
}
interface ExpectedSection {
  line: number
  statements: ExpectedStatement[]
}
interface CaseFile {
  about: string
  env?: Record<string, string>
  useTx: boolean
  up: ExpectedSection | null
  down: ExpectedSection | null
}

function readGoldens(dir: string, direction: 'up' | 'down'): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(`.${direction}.golden.sql`))
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
}

function shape(section: GooseSection | null): ExpectedSection | null {
  if (!section) return null
  return {
    line: section.line,
    statements: section.statements.map(({ line, endLine, omittedLines }) =>
      omittedLines ? { line, endLine, omittedLines } : { line, endLine },
    ),
  }
}

function writeGoldens(dir: string, meta: CaseFile, result: ReturnType<typeof parseGooseSql>): void {
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.golden.sql')) fs.rmSync(path.join(dir, f))
  }
  for (const direction of ['up', 'down'] as const) {
    result[direction]?.statements.forEach((s, i) => {
      const name = `${String(i + 1).padStart(2, '0')}.${direction}.golden.sql`
      fs.writeFileSync(path.join(dir, name), s.sql)
    })
  }
  const next: CaseFile = {
    about: meta.about,
    ...(meta.env ? { env: meta.env } : {}),
    useTx: result.useTx,
    up: shape(result.up),
    down: shape(result.down),
  }
  fs.writeFileSync(path.join(dir, 'case.json'), `${JSON.stringify(next, null, 2)}\n`)
}

describe('parseGooseSql on valid files (golden)', () => {
  const cases = fs.readdirSync(VALID).sort()

  it('should have a folder per valid case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
  })

  for (const name of cases) {
    const dir = path.join(VALID, name)
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as CaseFile
    it(`should split ${name} exactly as goose does: ${meta.about}`, () => {
      const file = path.join(dir, 'input.sql')
      const result = parseGooseSql(fs.readFileSync(file, 'utf8'), { file, env: meta.env ?? {} })
      if (UPDATE) writeGoldens(dir, meta, result)
      expect(result.diagnostics).toEqual([])
      expect(result.up?.statements.map((s) => s.sql)).toEqual(readGoldens(dir, 'up'))
      expect(result.down?.statements.map((s) => s.sql) ?? []).toEqual(readGoldens(dir, 'down'))
      expect(shape(result.up)).toEqual(meta.up)
      expect(shape(result.down)).toEqual(meta.down)
      expect(result.useTx).toBe(meta.useTx)
    })
  }
})

/** Expected diagnostics per invalid file: every [code, line], in order, and a phrase of the message. */
const INVALID_CASES: Record<
  string,
  { expect: [DiagnosticCode, number][]; says: string; env?: Record<string, string> }
> = {
  'missing-up-bare-sql': { expect: [['MISSING_UP', 1]], says: 'unexpected state 0 on line' },
  'missing-up-empty-file': {
    expect: [['MISSING_UP', 1]],
    says: "must start with '-- +goose Up' annotation",
  },
  'missing-up-comments-only': {
    expect: [['MISSING_UP', 1]],
    says: "must start with '-- +goose Up' annotation",
  },
  'sql-before-up': {
    expect: [['SQL_BEFORE_UP', 2]],
    says: 'unexpected state 0 on line "SET search_path = app;"',
  },
  'duplicate-up': { expect: [['DUPLICATE_UP', 7]], says: "duplicate '-- +goose Up' annotations" },
  'down-first': {
    expect: [['DOWN_BEFORE_UP', 1]],
    says: "must start with '-- +goose Up' annotation",
  },
  'duplicate-down': { expect: [['DUPLICATE_DOWN', 5]], says: 'the first is at line 3' },
  'begin-without-end': {
    expect: [['UNTERMINATED_BLOCK', 4]],
    says: "missing '-- +goose StatementEnd' annotation",
  },
  'down-inside-up-block': {
    expect: [['UNTERMINATED_BLOCK', 2]],
    says: 'still open at "-- +goose Down" (line 5)',
  },
  'unclosed-block-in-down': {
    expect: [['UNTERMINATED_BLOCK', 4]],
    says: 'in the Down section is never closed',
  },
  'unfinished-before-down': {
    expect: [['UNTERMINATED_STATEMENT', 3]],
    says: 'unexpected unfinished SQL query: "ALTER TABLE post": missing semicolon?',
  },
  'unfinished-second-up-statement': {
    expect: [['UNTERMINATED_STATEMENT', 3]],
    says: 'the Up section has an unfinished statement before "-- +goose Down" (line 5)',
  },
  'unfinished-only-up-valid-down': {
    expect: [['UNTERMINATED_STATEMENT', 2]],
    says: 'direction: up',
  },
  'unfinished-only-up-empty-down': { expect: [['UNTERMINATED_STATEMENT', 2]], says: '"SELECT 1"' },
  'unfinished-only-up-no-down': {
    expect: [['UNTERMINATED_STATEMENT', 2]],
    says: 'at the end of the file',
  },
  'missing-semicolon-in-down': {
    expect: [['UNTERMINATED_STATEMENT', 4]],
    says: 'the Down section has an unfinished statement',
  },
  'semicolon-comment-no-space': {
    expect: [['UNTERMINATED_STATEMENT', 2]],
    says: 'missing semicolon?',
  },
  'semicolon-block-comment': {
    expect: [['UNTERMINATED_STATEMENT', 2]],
    says: 'missing semicolon?',
  },
  'whitespace-line-then-comment-at-eof': {
    expect: [['UNTERMINATED_STATEMENT', 4]],
    says: '"-- a comment kept because of the line above"',
  },
  'copy-without-block': { expect: [['UNTERMINATED_STATEMENT', 3]], says: 'missing semicolon?' },
  'indented-annotation': {
    expect: [['BAD_ANNOTATION', 3]],
    says: 'contains leading whitespace: invalid annotation',
  },
  'annotation-tab-indent': {
    expect: [['BAD_ANNOTATION', 1]],
    says: 'contains leading whitespace: invalid annotation',
  },
  'annotation-unsupported': {
    expect: [
      ['BAD_ANNOTATION', 1],
      ['MISSING_UP', 1],
    ],
    says: '"Upp" not supported: invalid annotation',
  },
  'annotation-trailing-comment': {
    expect: [['BAD_ANNOTATION', 1]],
    says: '"Up  creates the table" not supported: invalid annotation',
  },
  'annotation-double-space': {
    expect: [['BAD_ANNOTATION', 2]],
    says: '"NO  TRANSACTION" not supported',
  },
  'annotation-empty': { expect: [['BAD_ANNOTATION', 2]], says: 'empty annotation' },
  'annotation-multiple': {
    expect: [['BAD_ANNOTATION', 1]],
    says: "contains multiple '+goose' annotations",
  },
  'annotation-three-dashes': { expect: [['BAD_ANNOTATION', 1]], says: '"-  Up" not supported' },
  'comment-mentions-goose': {
    expect: [['ANNOTATION_IN_COMMENT', 2]],
    says: '"see  docs for the format" not supported: invalid annotation',
  },
  'comment-mentions-goose-in-function': {
    expect: [['ANNOTATION_IN_COMMENT', 5]],
    says: 'contains leading whitespace: invalid annotation',
  },
  bom: { expect: [['BOM', 1]], says: 'unexpected state 0 on line "\\ufeff' },
  'dollar-function-without-block': {
    expect: [['DOLLAR_QUOTE_SPLIT', 4]],
    says: 'inside the dollar-quoted body ($$) opened at line 2',
  },
  'string-split': {
    expect: [['DOLLAR_QUOTE_SPLIT', 2]],
    says: 'inside the string literal opened at line 2',
  },
  'empty-block': { expect: [['EMPTY_BLOCK', 2]], says: 'line 4, "SELECT 1;", would never run' },
  'statement-end-without-begin': {
    expect: [['MISPLACED_BLOCK', 3]],
    says: "'-- +goose StatementEnd' must be defined after '-- +goose StatementBegin'",
  },
  'statement-begin-before-up': {
    expect: [['MISPLACED_BLOCK', 1]],
    says: "'-- +goose StatementBegin' must be defined after '-- +goose Up' or '-- +goose Down' annotation",
  },
  'nested-begin': { expect: [['MISPLACED_BLOCK', 4]], says: 'inside the block opened at line 2' },
  'envsub-required': {
    expect: [['ENVSUB_FAILED', 6]],
    says: 'variable substitution failed: $PGTB_NOT_SET: required env var not set',
  },
  'envsub-positional': {
    expect: [['ENVSUB_FAILED', 3]],
    says: 'Expected identifier to start with a letter, got 1',
  },
  'envsub-dollar-space': {
    expect: [['ENVSUB_FAILED', 3]],
    says: 'Expected identifier to start with a letter, got  ',
  },
}

describe('parseGooseSql on invalid files', () => {
  const files = fs
    .readdirSync(INVALID)
    .filter((f) => f.endsWith('.sql'))
    .sort()

  it('should list every invalid fixture in the table and nothing else', () => {
    expect(files.map((f) => f.slice(0, -4)).sort()).toEqual(Object.keys(INVALID_CASES).sort())
  })

  for (const name of Object.keys(INVALID_CASES).sort()) {
    const spec = INVALID_CASES[name]!
    const [code, line] = spec.expect[0]!
    it(`should report ${code} at line ${line} for ${name}`, () => {
      const file = path.join(INVALID, `${name}.sql`)
      const result = parseGooseSql(fs.readFileSync(file, 'utf8'), { file, env: spec.env ?? {} })
      expect(result.diagnostics.map((d) => [d.code, d.line])).toEqual(spec.expect)
      const first = result.diagnostics[0]!
      expect(first.severity).toBe('error')
      expect(first.file).toBe(file)
      expect(first.message).toContain(spec.says)
      expect(first.fix).toMatch(/\S/)
    })
  }
})
