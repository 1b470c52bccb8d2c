import { describe, expect, it } from 'vitest'
import { drizzleHash, splitDrizzleSql } from '../../src/migrations/files/formats/drizzle-sql.js'
import { parseJsonTree, JsonSyntaxError } from '../../src/migrations/files/formats/drizzle-json.js'

const VECTOR =
  'CREATE TABLE "t" (\n\t"id" serial PRIMARY KEY NOT NULL\n);\n--> statement-breakpoint\nCREATE INDEX "i" ON "t" ("id");'

describe('drizzle hash and split', () => {
  it('should hash the reference test vector exactly as drizzle-orm does', () => {
    expect(drizzleHash(VECTOR)).toBe(
      '2cdeae4fe03eb65a5d24f02ac9268dcb24525a6fe8e64c8d55f54559a5fb4952',
    )
  })

  it('should split the test vector into two untrimmed chunks, the second starting with a newline', () => {
    expect(splitDrizzleSql(VECTOR)).toEqual([
      { sql: 'CREATE TABLE "t" (\n\t"id" serial PRIMARY KEY NOT NULL\n);\n', line: 1, endLine: 3 },
      { sql: '\nCREATE INDEX "i" ON "t" ("id");', line: 5, endLine: 5 },
    ])
  })

  it('should hash CRLF and a BOM as they are, like drizzle-orm 0.45 and v1', () => {
    const crlf = VECTOR.replace(/\n/g, '\r\n')
    expect(drizzleHash(crlf)).not.toBe(drizzleHash(VECTOR))
    expect(drizzleHash(`\uFEFF${VECTOR}`)).not.toBe(drizzleHash(VECTOR))
    // The CR stays in the chunk that drizzle sends.
    expect(splitDrizzleSql(crlf)[1]?.sql).toBe('\r\nCREATE INDEX "i" ON "t" ("id");')
  })

  it('should keep empty and whitespace-only chunks, since drizzle sends them too', () => {
    const statements = splitDrizzleSql('A;--> statement-breakpoint\n\n--> statement-breakpoint')
    expect(statements.map((s) => s.sql)).toEqual(['A;', '\n\n', ''])
    expect(statements.map((s) => [s.line, s.endLine])).toEqual([
      [1, 1],
      [1, 1],
      [3, 3],
    ])
  })

  it('should point each statement at its first non-blank line after blank lines', () => {
    const statements = splitDrizzleSql('A;--> statement-breakpoint\n\n\nB\nC;\n\n')
    expect(statements[1]).toMatchObject({ line: 4, endLine: 5 })
  })
})

describe('journal JSON scanner', () => {
  it('should report the offset of a trailing comma', () => {
    const text = '{\n  "a": 1,\n}'
    expect(() => parseJsonTree(text)).toThrow(JsonSyntaxError)
    try {
      parseJsonTree(text)
    } catch (error) {
      expect((error as JsonSyntaxError).offset).toBe(text.indexOf('}'))
      expect((error as JsonSyntaxError).message).toBe(
        'expected a double-quoted property name, found "}"',
      )
    }
  })

  it('should accept everything JSON.parse accepts in a journal', () => {
    const text = '{"s":"a\\"b\\u00e9","n":-1.5e3,"t":true,"f":false,"z":null,"a":[{},[]]}'
    const tree = parseJsonTree(text)
    expect(tree.properties?.map((p) => [p.key, p.value.type])).toEqual([
      ['s', 'string'],
      ['n', 'number'],
      ['t', 'boolean'],
      ['f', 'boolean'],
      ['z', 'null'],
      ['a', 'array'],
    ])
    expect(tree.properties?.[5]?.value.items?.map((i) => i.offset)).toEqual([
      text.indexOf('{}'),
      text.indexOf('[]'),
    ])
  })

  it('should reject a BOM, which JSON.parse (and so drizzle) rejects too', () => {
    expect(() => JSON.parse('\uFEFF{}')).toThrow()
    expect(() => parseJsonTree('\uFEFF{}')).toThrow('byte order mark')
  })
})
