import { PgtestbedError } from '@pgtestbed/core'
import { describe, expect, test } from 'vitest'
import { formatError } from '@pgtestbed/core/runner'
import { vitestError } from '../../src/errors.js'

describe('vitestError', () => {
  test('should carry the code in its name and the message, fix and cause in its text, without stack frames', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5999')
    const error = vitestError(
      new PgtestbedError('SERVER_UNREACHABLE', 'no PostgreSQL server answers at 127.0.0.1:5999', {
        cause,
        fix: 'Start the server or correct PGTESTBED_URL.',
      }),
      '(no test ran)',
    )
    expect(error.name).toBe('PgtestbedError [SERVER_UNREACHABLE]')
    expect(error.message).toBe(
      'no PostgreSQL server answers at 127.0.0.1:5999\n    fix: Start the server or correct PGTESTBED_URL.\n    cause: connect ECONNREFUSED 127.0.0.1:5999\n(no test ran)',
    )
    expect(error.stack).toBe(`${error.name}: ${error.message}`)
    expect(error.cause).toBeUndefined()
    expect(Object.keys(error)).toEqual([])
  })

  test('should leave out a cause whose text the message already holds', () => {
    const cause = new Error('relation "x" does not exist')
    const text = formatError(
      new PgtestbedError('CLONE_FAILED', 'could not clone: relation "x" does not exist', { cause }),
    )
    expect(text).toBe('could not clone: relation "x" does not exist')
  })

  test('should describe an error that is not pgtestbed’s by its message', () => {
    expect(vitestError(new TypeError('boom')).name).toBe('PgtestbedError')
    expect(formatError('plain text')).toBe('plain text')
  })
})
