import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { withTerminationGuard } from '../../src/worker/termination-guard.js'

type Listener = (error: Error, origin: NodeJS.UncaughtExceptionOrigin) => void

let saved: Listener[] = []
const runnerListener = vi.fn<Listener>()

// Stand in for the runner's worker (Jest's logs an uncaught exception and exits; Vitest's records
// it as an unhandled error and fails the run).
beforeEach(() => {
  saved = process.listeners('uncaughtException') as Listener[]
  for (const listener of saved) process.off('uncaughtException', listener)
  process.on('uncaughtException', runnerListener)
  runnerListener.mockClear()
})
afterEach(() => {
  vi.useRealTimers()
  process.removeAllListeners('uncaughtException')
  for (const listener of saved) process.on('uncaughtException', listener)
})

/** Emits an uncaught exception the way Node does (calls every listener). */
function uncaught(error: Error): void {
  ;(process.emit as (event: string, ...args: unknown[]) => boolean)(
    'uncaughtException',
    error,
    'uncaughtException',
  )
}

/** What pg's idle client throws after DROP DATABASE … WITH (FORCE), from a Jest test file's realm. */
function terminated(): Error {
  return Object.assign(new Error('Unhandled error.'), {
    code: 'ERR_UNHANDLED_ERROR',
    context: { code: '57P01', message: 'terminating connection due to administrator command' },
  })
}

describe('withTerminationGuard', () => {
  test('should swallow the terminated sessions’ errors right after a drop', async () => {
    await withTerminationGuard(async () => {
      uncaught(terminated())
    })
    uncaught(terminated())
    uncaught(
      Object.assign(new Error('x'), {
        code: 'ERR_UNHANDLED_ERROR',
        context: { message: 'Connection terminated unexpectedly' },
      }),
    )
    expect(runnerListener).not.toHaveBeenCalled()
  })

  test('should pass every other uncaught error to the listeners the process had', async () => {
    const bug = new TypeError('a real bug')
    await withTerminationGuard(async () => {
      uncaught(bug)
    })
    expect(runnerListener).toHaveBeenCalledWith(bug, 'uncaughtException')
  })

  test('should give the process its listeners back once the grace period is over', async () => {
    vi.useFakeTimers()
    await withTerminationGuard(async () => {})
    expect(process.listeners('uncaughtException')).not.toContain(runnerListener)
    vi.advanceTimersByTime(2_500)
    expect(process.listeners('uncaughtException')).toEqual([runnerListener])
  })

  test('should keep one guard across fresh global scopes, as Vitest’s vm pools give each file', async () => {
    // The next file's drop starts inside the previous one's grace period, from a module copy
    // whose globalThis is new (here: the same copy with its global key removed).
    vi.useFakeTimers()
    await withTerminationGuard(async () => {})
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('pgtestbed.terminationGuard.v1')]
    vi.advanceTimersByTime(1_000)
    await withTerminationGuard(async () => {})
    vi.advanceTimersByTime(5_000)
    expect(process.listeners('uncaughtException')).toEqual([runnerListener])
    const bug = new TypeError('a real bug')
    uncaught(bug)
    expect(runnerListener).toHaveBeenCalledTimes(1)
  })
})

describe('withTerminationGuard with an error of this realm (Vitest workers)', () => {
  test('should swallow a plain 57P01 error and the socket error that follows it', async () => {
    const fatal = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    })
    await withTerminationGuard(async () => {})
    uncaught(fatal)
    uncaught(new Error('Connection terminated unexpectedly'))
    expect(runnerListener).not.toHaveBeenCalled()
  })

  test('should pass on a closed connection that no termination preceded', async () => {
    const closed = new Error('Connection terminated unexpectedly')
    await withTerminationGuard(async () => {})
    uncaught(closed)
    expect(runnerListener).toHaveBeenCalledWith(closed, 'uncaughtException')
  })
})
