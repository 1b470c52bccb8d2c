import { PgtestbedError } from '../errors.js'
import {
  isLintRuleCode,
  LINT_RULE_CODES,
  LINT_RULES,
  type LintRuleCode,
  type LintRuleSetting,
} from './types.js'

const SETTINGS: readonly LintRuleSetting[] = ['error', 'warning', 'off']

/**
 * Checks a `rules` option (from code or a config file) and returns every rule's effective
 * setting. `where` names the option in messages (`lint.rules` in a config file).
 *
 * @throws PgtestbedError INVALID_OPTIONS for an unknown code or setting, naming the accepted ones.
 * @example
 * resolveLintRules({ LINT_DROP_TABLE: 'off' }).LINT_DROP_TABLE // 'off'
 */
export function resolveLintRules(
  rules: unknown,
  where = 'rules',
): Record<LintRuleCode, LintRuleSetting> {
  const resolved = Object.fromEntries(
    LINT_RULE_CODES.map((code) => [code, LINT_RULES[code].severity]),
  ) as Record<LintRuleCode, LintRuleSetting>
  if (rules === undefined) return resolved
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    throw new PgtestbedError(
      'INVALID_OPTIONS',
      `${where} must be an object of rule code → 'error' | 'warning' | 'off'`,
      {
        fix: `for example ${where}: { LINT_DROP_TABLE: 'off' }`,
      },
    )
  }
  for (const [code, setting] of Object.entries(rules)) {
    if (!isLintRuleCode(code)) {
      throw new PgtestbedError(
        'INVALID_OPTIONS',
        `${where}.${code} is not a lint rule; known rules: ${LINT_RULE_CODES.join(', ')}`,
        {
          fix: `remove ${where}.${code} or correct its name`,
        },
      )
    }
    if (!SETTINGS.includes(setting as LintRuleSetting)) {
      throw new PgtestbedError(
        'INVALID_OPTIONS',
        `${where}.${code} is ${JSON.stringify(setting)}; accepted values: 'error', 'warning', 'off'`,
        { fix: `set ${where}.${code} to 'error', 'warning' or 'off'` },
      )
    }
    resolved[code] = setting as LintRuleSetting
  }
  return resolved
}
