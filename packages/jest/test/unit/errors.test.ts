import { PgtestbedError } from '@pgtestbed/core'
import { afterEach, describe, expect, test } from 'vitest'
import { describeError, forEnvironment, forGlobalSetup } from '../../src/errors.js'

afterEach(() => {
  delete process.env.PGTESTBED_DEBUG
})

function sample(): PgtestbedError {
  return new PgtestbedError(
    'SERVER_UNREACHABLE',
    'cannot connect to PostgreSQL at db:5432/postgres',
    {
      cause: new Error('getaddrinfo ENOTFOUND db'),
      fix: 'Check that the server is running and the URL is right.',
    },
  )
}

describe('errors shown by Jest', () => {
  test('should read code, message, fix and a cause that adds something, without stack frames', () => {
    expect(describeError(sample())).toBe(
      'pgtestbed SERVER_UNREACHABLE: cannot connect to PostgreSQL at db:5432/postgres\n' +
        '    fix: Check that the server is running and the URL is right.\n' +
        '    cause: getaddrinfo ENOTFOUND db',
    )
  })

  test('should put that text in the stack of a globalSetup error (what Jest prints)', () => {
    const error = forGlobalSetup(sample()) as PgtestbedError
    expect(error.stack).toBe(describeError(sample()))
    expect(error.code).toBe('SERVER_UNREACHABLE')
    expect(error.cause).toBeInstanceOf(Error)
  })

  test('should put it in the message of an environment error and drop the stack and cause', () => {
    const error = forEnvironment(sample()) as PgtestbedError
    expect(error.message).toBe(describeError(sample()))
    expect(error.stack).toBe('')
    expect('cause' in error).toBe(false)
  })

  test('should leave errors that are not ours, and every error under PGTESTBED_DEBUG, alone', () => {
    const bug = new TypeError('x is undefined')
    const stack = bug.stack
    expect((forGlobalSetup(bug) as Error).stack).toBe(stack)
    process.env.PGTESTBED_DEBUG = '1'
    const error = sample()
    const original = error.stack
    expect((forEnvironment(error) as Error).stack).toBe(original)
  })
})
