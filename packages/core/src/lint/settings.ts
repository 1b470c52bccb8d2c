import path from 'node:path'
import { folderGlobs } from '../internal/folder-globs.js'
import { PgtestbedError } from '../errors.js'
import {
  isLintRuleCode,
  LINT_RULE_CODES,
  LINT_RULES,
  type LintOptions,
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

/** The setting of rule `code` for `file` (absolute), overrides applied. */
export type LintSettings = (code: LintRuleCode, file: string) => LintRuleSetting

/**
 * Checks `rules` and `overrides` and returns the setting of every rule for every file of the
 * migrations folder `dir`: the last override whose globs match the file (or a folder above it),
 * else `rules`, else the rule's default.
 *
 * @throws PgtestbedError INVALID_OPTIONS for a malformed override or an unknown rule or setting.
 * @example
 * const settingOf = resolveLintSettings({ overrides: [{ files: ['archive'], rules: { LINT_DROP_TABLE: 'off' } }] }, '/p/migrations')
 * settingOf('LINT_DROP_TABLE', '/p/migrations/archive/001_old.sql') // 'off'
 */
export function resolveLintSettings(options: LintOptions, dir: string, prefix = ''): LintSettings {
  const base = resolveLintRules(options.rules, `${prefix}rules`)
  const overrides = checkOverrides(options.overrides, `${prefix}overrides`)
  if (overrides.length === 0) return (code) => base[code]
  return (code, file) => {
    const relative = path.relative(dir, file).split(path.sep).join('/')
    for (let i = overrides.length - 1; i >= 0; i--) {
      const override = overrides[i]!
      if (override.rules[code] !== undefined && override.matches(relative)) {
        return override.rules[code]
      }
    }
    return base[code]
  }
}

interface CheckedOverride {
  rules: Partial<Record<LintRuleCode, LintRuleSetting>>
  matches: (relative: string) => boolean
}

/** Validates `overrides` (its shape, every rule and setting) and compiles its globs. */
export function checkOverrides(overrides: unknown, where: string): CheckedOverride[] {
  if (overrides === undefined) return []
  const shape = `${where} must be an array of { files: ['<glob>', …], rules: { LINT_…: 'error' | 'warning' | 'off' } }`
  if (!Array.isArray(overrides)) {
    throw new PgtestbedError('INVALID_OPTIONS', shape, {
      fix: `for example ${where}: [{ files: ['archive'], rules: { LINT_DROP_TABLE: 'off' } }]`,
    })
  }
  return overrides.map((entry: unknown, i) => {
    const item = entry as { files?: unknown; rules?: unknown } | null
    const files = item?.files
    if (
      typeof item !== 'object' ||
      item === null ||
      !Array.isArray(files) ||
      files.length === 0 ||
      !files.every((f) => typeof f === 'string' && f.trim() !== '')
    ) {
      throw new PgtestbedError('INVALID_OPTIONS', `${where}[${i}].files: ${shape}`, {
        fix: `give ${where}[${i}] a files array of globs relative to the migrations folder`,
      })
    }
    const rules = resolveLintRules(item.rules ?? {}, `${where}[${i}].rules`)
    const given = Object.keys(item.rules ?? {}) as LintRuleCode[]
    return {
      rules: Object.fromEntries(given.map((code) => [code, rules[code]])),
      matches: folderGlobs(files as string[]),
    }
  })
}
