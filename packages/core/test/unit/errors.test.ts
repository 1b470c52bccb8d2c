import { describe, expect, it } from 'vitest'
import {
  DiagnosticsError,
  PgtestbedError,
  isPgtestbedError,
  throwIfErrors,
} from '../../src/index.js'
import type { Diagnostic } from '../../src/index.js'

describe('errors', () => {
  it('should carry a code, a fix and the cause', () => {
    const cause = new Error('boom')
    const error = new PgtestbedError('CLONE_FAILED', 'failed to clone', { cause, fix: 'retry' })
    expect(error.code).toBe('CLONE_FAILED')
    expect(error.fix).toBe('retry')
    expect(error.cause).toBe(cause)
    expect(error.name).toBe('PgtestbedError')
  })

  it('should recognise errors from another copy of the module through the global brand', () => {
    const foreign = new Error('x') as Error & { code: string }
    foreign.code = 'CLONE_FAILED'
    Object.defineProperty(foreign, Symbol.for('pgtestbed.error'), { value: true })
    expect(isPgtestbedError(foreign)).toBe(true)
    expect(isPgtestbedError(Object.assign(new Error('y'), { code: 'CLONE_FAILED' }))).toBe(false)
    expect(isPgtestbedError(null)).toBe(false)
  })

  it('should throw every diagnostic at once, errors first, listing the errors with file, line and fix and counting the warnings', () => {
    const diagnostics: Diagnostic[] = [
      { severity: 'warning', code: 'VERSION_GAP', message: 'gap', file: '/m/3_c.sql' },
      {
        severity: 'error',
        code: 'DUPLICATE_VERSION',
        message: 'version 21 is used twice',
        file: '/m/021_b.sql',
        line: 1,
        fix: 'renumber one',
      },
    ]
    let thrown: unknown
    try {
      throwIfErrors(diagnostics, 'VALIDATION_FAILED', 'invalid migrations in migrations/', {
        cwd: '/m',
      })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(DiagnosticsError)
    const error = thrown as DiagnosticsError
    expect(error.code).toBe('VALIDATION_FAILED')
    expect(error.diagnostics.map((d) => d.code)).toEqual(['DUPLICATE_VERSION', 'VERSION_GAP'])
    expect(error.message).toBe(
      'invalid migrations in migrations/: 1 error\n' +
        '021_b.sql:1  error DUPLICATE_VERSION version 21 is used twice\n    fix: renumber one\n' +
        '(and 1 warning: `pgtestbed check` shows it)',
    )
  })

  it('should not throw when there are only warnings', () => {
    expect(() =>
      throwIfErrors(
        [{ severity: 'warning', code: 'MISSING_DOWN', message: 'no down' }],
        'VALIDATION_FAILED',
        'x',
      ),
    ).not.toThrow()
  })
})
