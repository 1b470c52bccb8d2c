/**
 * Test oracle: goose's splitting algorithm for ONE direction, written plainly from
 * shared/reference/migration-formats.md §1.4 (state numbers 0-6, stop at the first error, the
 * empty-block swallow and every other quirk included). The real parser does both directions in a
 * single pass and reports instead of failing fast; the tests check that both agree on every valid
 * file and on generated files.
 */
import { envsubLine, type EnvsubEnv } from '../../src/migrations/files/sqlparser/envsub.js'
import {
  endsWithSemicolon,
  goQuote,
  goTrimSpace,
  startsWithDashesAfterSpace,
} from '../../src/migrations/files/sqlparser/go-text.js'
import {
  extractAnnotation,
  isAnnotationLine,
} from '../../src/migrations/files/sqlparser/goose-annotations.js'

export type OracleResult =
  { ok: true; statements: string[]; useTx: boolean } | { ok: false; error: string }

const SEE = ', see https://github.com/pressly/goose#sql-migrations'

function splitLines(text: string): string[] {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
}

/** goose's ParseSQLMigration for one direction. */
export function gooseOracle(text: string, direction: 'up' | 'down', env: EnvsubEnv): OracleResult {
  let state = 0
  let useTx = true
  let envsub = false
  let buf = ''
  const statements: string[] = []
  const fail = (error: string): OracleResult => ({ ok: false, error })
  const unfinished = (): OracleResult =>
    fail(
      `failed to parse migration: state ${state}, direction: ${direction}: unexpected unfinished SQL query: ${goQuote(goTrimSpace(buf))}: missing semicolon?`,
    )

  for (let line of splitLines(text)) {
    if (state === 0 && goTrimSpace(line) === '') continue
    if (isAnnotationLine(line)) {
      const a = extractAnnotation(line)
      if (!a.ok) return fail(a.gooseError)
      let next = true
      switch (a.annotation) {
        case 'Up':
          if (state !== 0)
            return fail(`duplicate '-- +goose Up' annotations; stateMachine=${state}${SEE}`)
          state = 1
          break
        case 'Down':
          if (state !== 1 && state !== 3) {
            return fail(`must start with '-- +goose Up' annotation, stateMachine=${state}${SEE}`)
          }
          if (goTrimSpace(buf) !== '') return unfinished()
          state = 4
          break
        case 'StatementBegin':
          if (state === 1 || state === 3) state = 2
          else if (state === 4 || state === 6) state = 5
          else {
            return fail(
              `'-- +goose StatementBegin' must be defined after '-- +goose Up' or '-- +goose Down' annotation, stateMachine=${state}${SEE}`,
            )
          }
          break
        case 'StatementEnd':
          if (state === 2) state = 3
          else if (state === 5) state = 6
          else
            return fail(
              `'-- +goose StatementEnd' must be defined after '-- +goose StatementBegin'${SEE}`,
            )
          next = false
          break
        case 'NO TRANSACTION':
          useTx = false
          break
        case 'ENVSUB ON':
          envsub = true
          break
        case 'ENVSUB OFF':
          envsub = false
          break
      }
      if (next) continue
    }
    if (buf === '' && (line === '' || startsWithDashesAfterSpace(line))) continue
    if (state !== 3 && state !== 6) {
      if (envsub) {
        const expanded = envsubLine(line, env)
        if (!expanded.ok) return fail(`variable substitution failed: ${expanded.error}:\n${line}`)
        line = expanded.text
      }
      buf += `${line}\n`
    }
    if (state >= 1 && state <= 3) {
      if (direction === 'down') {
        buf = ''
        continue
      }
    } else if (state >= 4) {
      if (direction === 'up') {
        buf = ''
        continue
      }
    } else {
      return fail(
        `failed to parse migration: unexpected state ${state} on line ${goQuote(line)}${SEE}`,
      )
    }
    if (state === 1 || state === 4) {
      if (endsWithSemicolon(line)) {
        statements.push(goTrimSpace(buf))
        buf = ''
      }
    } else if (state === 3 || state === 6) {
      statements.push(goTrimSpace(buf))
      buf = ''
      state = state === 3 ? 1 : 4
    }
  }
  if (state === 0) {
    return fail(`failed to parse migration: must start with '-- +goose Up' annotation${SEE}`)
  }
  if (state === 2 || state === 5) {
    return fail(`failed to parse migration: missing '-- +goose StatementEnd' annotation`)
  }
  if (goTrimSpace(buf) !== '') return unfinished()
  return { ok: true, statements, useTx }
}
