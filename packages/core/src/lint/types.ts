import type { Severity } from '../diagnostics.js'

/** What a lint rule is and how bad its findings are unless configured otherwise. */
export interface LintRuleInfo {
  /** The severity a finding gets when `rules` does not override it. */
  severity: Severity
  /** One line on what the rule catches; the README's rule table shows it. */
  summary: string
}

/**
 * Every lint rule, with its default severity. `error` means the migration fails on the server
 * (or loses data) in some situation a test database does not show; `warning` means it works but
 * locks or breaks something in production.
 *
 * @example
 * LINT_RULES.LINT_NOT_NULL_WITHOUT_DEFAULT.severity // 'error'
 */
export const LINT_RULES = {
  LINT_PARSE_FAILED: {
    severity: 'error',
    summary: "PostgreSQL's parser rejects a statement: the server will reject it too",
  },
  LINT_SUPPRESSION_INVALID: {
    severity: 'warning',
    summary: 'a pgtestbed-lint-ignore comment names no known rule or gives no reason',
  },
  LINT_DROP_WITHOUT_IF_EXISTS: {
    severity: 'warning',
    summary: 'DROP TABLE / DROP INDEX in Up without IF EXISTS',
  },
  LINT_DROP_TABLE: {
    severity: 'warning',
    summary: 'DROP TABLE of an existing table loses its data',
  },
  LINT_DROP_COLUMN: {
    severity: 'warning',
    summary: 'DROP COLUMN on an existing table loses data and breaks code still reading it',
  },
  LINT_NOT_NULL_WITHOUT_DEFAULT: {
    severity: 'error',
    summary:
      'ADD COLUMN … NOT NULL without DEFAULT on an existing table fails on any non-empty table',
  },
  LINT_SET_NOT_NULL: {
    severity: 'warning',
    summary: 'ALTER COLUMN … SET NOT NULL on an existing table scans it under an exclusive lock',
  },
  LINT_ALTER_COLUMN_TYPE: {
    severity: 'warning',
    summary: 'ALTER COLUMN … TYPE on an existing table rewrites it under an exclusive lock',
  },
  LINT_CONSTRAINT_WITHOUT_NOT_VALID: {
    severity: 'warning',
    summary: 'ADD FOREIGN KEY / CHECK on an existing table without NOT VALID scans it while locked',
  },
  LINT_ENUM_RENAME_VALUE: {
    severity: 'warning',
    summary: 'ALTER TYPE … RENAME VALUE breaks code and stored data that use the old label',
  },
  LINT_ENUM_CAST_WITHOUT_TEXT: {
    severity: 'error',
    summary:
      'a column is changed to an enum type without casting it through text (USING col::text::type)',
  },
  LINT_ENUM_VALUE_REMOVED: {
    severity: 'warning',
    summary: 'an enum is recreated without some of its labels; rows using them fail the cast',
  },
  LINT_ENUM_VALUE_USED_IN_TRANSACTION: {
    severity: 'error',
    summary: 'a label added with ALTER TYPE … ADD VALUE is used in the same transaction (55P04)',
  },
  LINT_INDEX_NOT_CONCURRENT: {
    severity: 'warning',
    summary: 'CREATE INDEX without CONCURRENTLY on an existing table blocks writes while it builds',
  },
  LINT_CANNOT_RUN_IN_TRANSACTION: {
    severity: 'error',
    summary: 'CREATE INDEX CONCURRENTLY (or another no-transaction command) inside a transaction',
  },
  LINT_LOCK_TIMEOUT_MISSING: {
    severity: 'warning',
    summary: 'a migration takes a heavy lock on an existing table without SET lock_timeout first',
  },
  LINT_EMPTY_DOWN: {
    severity: 'warning',
    summary: 'the Down section exists but holds no SQL, so a rollback silently does nothing',
  },
} as const satisfies Record<`LINT_${string}`, LintRuleInfo>

/** The code of a lint rule (a key of {@link LINT_RULES}). */
export type LintRuleCode = keyof typeof LINT_RULES

/** All lint rule codes, in the order of {@link LINT_RULES}. */
export const LINT_RULE_CODES = Object.keys(LINT_RULES) as LintRuleCode[]

/** A rule's configured severity; `'off'` disables it. */
export type LintRuleSetting = Severity | 'off'

/** True when `code` names a lint rule. */
export function isLintRuleCode(code: string): code is LintRuleCode {
  return Object.hasOwn(LINT_RULES, code)
}

/**
 * Options for {@link lintMigrations}.
 *
 * @example
 * await lintMigrations(set, { rules: { LINT_LOCK_TIMEOUT_MISSING: 'off', LINT_DROP_TABLE: 'error' } })
 */
export interface LintOptions {
  /**
   * Severity per rule code: `'error'`, `'warning'` or `'off'`. A code that is not a lint rule
   * throws `INVALID_OPTIONS`.
   * Default: every rule at its severity in {@link LINT_RULES}.
   */
  rules?: Partial<Record<LintRuleCode, LintRuleSetting>>
  /**
   * Rule settings for some files only: `files` are globs relative to the migrations folder (a
   * folder name covers everything in it), `rules` as above. Later entries win over earlier ones,
   * and all of them over `rules`. Default: `[]`.
   *
   * @example
   * overrides: [{ files: ['archive', '0000[1-9]_*.sql'], rules: { LINT_DROP_TABLE: 'off' } }]
   */
  overrides?: readonly LintOverride[]
}

/** Rule settings for the files `files` match (see {@link LintOptions.overrides}). */
export interface LintOverride {
  files: readonly string[]
  rules: Partial<Record<LintRuleCode, LintRuleSetting>>
}
