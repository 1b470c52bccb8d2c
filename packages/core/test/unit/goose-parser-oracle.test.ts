/**
 * Cross-checks the single-pass parser against a plain per-direction implementation of goose's
 * algorithm (helpers/goose-oracle.ts): on every fixture, and on generated files.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { DiagnosticCode } from '../../src/diagnostics.js'
import { parseGooseSql } from '../../src/migrations/files/sqlparser/goose.js'
import { gooseOracle, type OracleResult } from '../helpers/goose-oracle.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/goose-parser')

/** Problems goose itself does not see: it "succeeds" and mangles or loses SQL instead. */
const GOOSE_SILENT: ReadonlySet<DiagnosticCode> = new Set(['DOLLAR_QUOTE_SPLIT', 'EMPTY_BLOCK'])

function both(text: string, env: Record<string, string>): { up: OracleResult; down: OracleResult } {
  return { up: gooseOracle(text, 'up', env), down: gooseOracle(text, 'down', env) }
}

describe('parseGooseSql against the one-direction oracle', () => {
  for (const name of fs.readdirSync(path.join(ROOT, 'valid')).sort()) {
    it(`should return goose's statements in both directions for valid/${name}`, () => {
      const dir = path.join(ROOT, 'valid', name)
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as {
        env?: Record<string, string>
      }
      const text = fs.readFileSync(path.join(dir, 'input.sql'), 'utf8')
      const env = meta.env ?? {}
      const result = parseGooseSql(text, { file: '/m/input.sql', env })
      const oracle = both(text, env)
      expect(oracle.up).toEqual({
        ok: true,
        statements: result.up?.statements.map((s) => s.sql),
        useTx: result.useTx,
      })
      expect(oracle.down).toEqual({
        ok: true,
        statements: result.down?.statements.map((s) => s.sql) ?? [],
        useTx: result.useTx,
      })
    })
  }

  for (const file of fs.readdirSync(path.join(ROOT, 'invalid')).sort()) {
    it(`should only report what goose also rejects, or what goose silently mangles, for invalid/${file}`, () => {
      const text = fs.readFileSync(path.join(ROOT, 'invalid', file), 'utf8')
      const result = parseGooseSql(text, { file: `/m/${file}`, env: {} })
      const oracle = both(text, {})
      const gooseFails = !oracle.up.ok || !oracle.down.ok
      const codes = result.diagnostics.map((d) => d.code)
      expect(codes.length).toBeGreaterThan(0)
      if (!gooseFails) expect(codes.every((c) => GOOSE_SILENT.has(c))).toBe(true)
      else expect(codes.some((c) => !GOOSE_SILENT.has(c))).toBe(true)
    })
  }
})

/** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const LINES = [
  '-- +goose Up',
  '-- +goose Down',
  '-- +goose StatementBegin',
  '-- +goose StatementEnd',
  '-- +goose StatementBegin',
  '-- +goose StatementEnd',
  '-- +goose NO TRANSACTION',
  '-- +goose ENVSUB ON',
  '-- +goose ENVSUB OFF',
  '--+goose up',
  '  -- +goose Down',
  '-- see +goose docs',
  '',
  '',
  '   ',
  '-- a comment',
  '  -- indented comment',
  'SELECT 1;',
  'SELECT 2;',
  'SELECT 3',
  'FROM t;',
  '  WHERE x = 1',
  ');',
  'SELECT 4; -- trailing',
  'SELECT 5;-- glued',
  '/* block */',
  'SELECT ${PGTB_V};',
  'SELECT $PGTB_V, $1;',
  'VALUES (1),',
  'SELECT 6;\r',
  'CREATE FUNCTION f() RETURNS int AS $$',
  '  RETURN 1;',
  '$$ LANGUAGE plpgsql;',
  "INSERT INTO t VALUES ('a;",
  "b');",
]

function generate(next: () => number): string {
  const count = 1 + Math.floor(next() * 14)
  const lines: string[] = []
  // Most files start with Up so that the interesting states are reached.
  if (next() < 0.8) lines.push('-- +goose Up')
  for (let i = 0; i < count; i++) lines.push(LINES[Math.floor(next() * LINES.length)] ?? '')
  return lines.join('\n') + (next() < 0.7 ? '\n' : '')
}

describe('parseGooseSql on generated files', () => {
  it('should agree with goose on 20,000 generated files: same statements when valid, an error when goose fails', () => {
    const env = { PGTB_V: 'v' }
    let valid = 0
    for (let seed = 1; seed <= 20_000; seed++) {
      const text = generate(random(seed))
      const result = parseGooseSql(text, { file: '/m/gen.sql', env })
      const oracle = both(text, env)
      const codes = result.diagnostics.map((d) => d.code)
      const context = { seed, text, codes, oracle }
      if (oracle.up.ok && oracle.down.ok) {
        if (codes.length === 0) {
          valid++
          expect({ seed, up: result.up?.statements.map((s) => s.sql) ?? [] }).toEqual({
            seed,
            up: oracle.up.statements,
          })
          expect({ seed, down: result.down?.statements.map((s) => s.sql) ?? [] }).toEqual({
            seed,
            down: oracle.down.statements,
          })
          expect({ seed, useTx: result.useTx }).toEqual({ seed, useTx: oracle.up.useTx })
        } else {
          // Where goose loses SQL we report it and keep the SQL, which may surface more problems.
          expect(
            context.codes.some((c) => GOOSE_SILENT.has(c)),
            JSON.stringify(context),
          ).toBe(true)
        }
      } else {
        // goose fails: so must we (an unclosed quote may be all we report, as it is the cause).
        expect(codes.length > 0, JSON.stringify(context)).toBe(true)
      }
    }
    // The generator must reach plenty of valid files for the comparison to mean something.
    expect(valid).toBeGreaterThan(1_000)
  })
})
