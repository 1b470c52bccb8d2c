import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { lintMigrations } from '../../src/lint/run.js'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { withTempDir } from '../helpers/migration-set.js'
import { withScratchDatabase } from '../helpers/pg.js'

/**
 * ENUM_VALUE_IN_TRANSACTION (discovery) and LINT_ENUM_VALUE_USED_IN_TRANSACTION (lint) claim that a
 * label added by ALTER TYPE … ADD VALUE cannot be used in the same transaction. Each case below runs
 * on the real server as goose would run it (one transaction per migration), so the rules cannot
 * drift from what PostgreSQL does: a case is flagged exactly when the server fails with 55P04.
 */
const SETUP = "CREATE TYPE mood AS ENUM ('happy', 'sad');\nCREATE TABLE people (m mood);"

/** `fails`: the line of the use that the server rejects, or false. */
const cases: { name: string; up: string; fails: number | false }[] = [
  {
    name: 'a label added to a new enum, in a cast',
    up: "CREATE TYPE level AS ENUM ('low', 'mid');\nALTER TYPE level ADD VALUE 'high';\nSELECT 'high'::level;",
    fails: 4,
  },
  {
    name: 'a label added to a new enum, a DEFAULT',
    up: "CREATE TYPE level AS ENUM ('low', 'mid');\nALTER TYPE level ADD VALUE 'high';\nCREATE TABLE t (x level DEFAULT 'high');",
    fails: 4,
  },
  {
    name: 'a label listed in its CREATE TYPE',
    up: "CREATE TYPE level AS ENUM ('low', 'mid');\nALTER TYPE level ADD VALUE 'high';\nSELECT 'low'::level;",
    fails: false,
  },
  {
    name: 'a label added to an old enum, inserted',
    up: "ALTER TYPE mood ADD VALUE 'meh';\nINSERT INTO people (m) VALUES ('meh');",
    fails: 3,
  },
  {
    name: 'a label added, then in COMMENT ON',
    up: "ALTER TYPE mood ADD VALUE 'meh';\nCOMMENT ON TYPE mood IS 'meh';\nCREATE TYPE other AS ENUM ('meh');",
    fails: false,
  },
]

describe('new enum values used in the transaction that added them (PostgreSQL 15)', () => {
  it.each(cases)(
    'should flag $name exactly when the server fails with 55P04 (line: $fails)',
    async ({ up, fails }) => {
      await withTempDir(async (dir) => {
        const file = (name: string, sql: string) =>
          writeFileSync(path.join(dir, name), `-- +goose Up\n${sql}\n\n-- +goose Down\nSELECT 1;\n`)
        file('00001_setup.sql', SETUP)
        file('00002_case.sql', up)
        const set = await discoverMigrations({ migrations: dir })
        const flagged = set.diagnostics.filter((d) => d.code === 'ENUM_VALUE_IN_TRANSACTION')
        // Lint alone (as if discovery had not reported it) must agree.
        const linted = (await lintMigrations({ ...set, diagnostics: [] })).filter(
          (d) => d.code === 'LINT_ENUM_VALUE_USED_IN_TRANSACTION',
        )

        const outcome = await withScratchDatabase(async (client) =>
          // The rule under test would refuse the set before it reaches the server: apply it anyway.
          applyMigrations(client, { ...set, diagnostics: [] }).then(
            () => 'ok',
            (error: { cause?: { code?: string } }) => error.cause?.code ?? String(error),
          ),
        )

        expect(outcome).toBe(fails === false ? 'ok' : '55P04')
        expect(flagged.map((d) => [d.severity, path.basename(d.file ?? ''), d.line])).toEqual(
          fails ? [['error', '00002_case.sql', fails]] : [],
        )
        expect(linted.map((d) => d.line)).toEqual(fails ? [fails] : [])
      })
    },
  )
})
