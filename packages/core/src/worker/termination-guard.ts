/**
 * `DROP DATABASE … WITH (FORCE)` terminates the sessions a test file left open. PostgreSQL tells
 * each of them `57P01 terminating connection due to administrator command`, and an idle `pg`
 * Client or Pool without an 'error' listener rethrows that as an uncaught exception: Vitest then
 * fails the run with "Unhandled errors", Jest's worker (or, in band, Jest itself) crashes, after
 * the file had finished. The plugins report the leak with the file's name, so for a short while
 * after a drop those errors, and only those, are ignored; every other uncaught exception goes to
 * the listeners the process had (the runner's), or ends the process as Node would.
 */

/** SQLSTATE admin_shutdown: the session was ended by pg_terminate_backend. */
const TERMINATED = '57P01'

/** How long after a drop the terminated sessions' errors are expected (they arrive within ms). */
export const TERMINATION_GRACE_MS = 2_000

/** pg's error when the socket of a terminated session closes (it follows the 57P01 error). */
const CLOSED = 'Connection terminated unexpectedly'

type Listener = (error: Error, origin: NodeJS.UncaughtExceptionOrigin) => void

interface Guard {
  /** Terminations are ignored until then (Infinity while a drop runs). */
  until: number
  timer: NodeJS.Timeout | undefined
  /** 57P01 errors seen since the guard went up. */
  terminations: number
  /** The process's own listeners (the runner's), set aside while guarding. */
  saved: Listener[]
  /** The one listener installed while guarding (shared by every copy of this module). */
  listener: Listener | undefined
}

// On `process`, the one object every copy of this module sees: the ESM and CJS builds, a runner's
// several module registries and Vitest's vm pools (a fresh globalThis per test file, one process)
// may each load this module. They must share one guard: with one per copy, a copy would set aside
// another's listener, and that listener, restored after its copy had released, rethrew every
// later error to itself forever (a vm-pool run that spun and never finished).
const GUARD_KEY = Symbol.for('pgtestbed.terminationGuard.v1')

interface ErrorLike {
  code?: unknown
  message?: unknown
}

function guard(): Guard {
  const holder = process as unknown as Record<symbol, Guard | undefined>
  return (holder[GUARD_KEY] ??= {
    until: 0,
    timer: undefined,
    terminations: 0,
    saved: [],
    listener: undefined,
  })
}

/**
 * The error itself, or what an EventEmitter wrapped: errors thrown by `pg` inside a Jest test file
 * come from the file's own realm, so they are not `instanceof Error` here and arrive wrapped in
 * ERR_UNHANDLED_ERROR with the original as `context`.
 */
function unwrap(error: unknown): ErrorLike | undefined {
  const e = error as (ErrorLike & { context?: ErrorLike }) | null | undefined
  return e?.code === 'ERR_UNHANDLED_ERROR' && e.context ? e.context : (e ?? undefined)
}

function isTermination(current: Guard, error: unknown): boolean {
  const e = unwrap(error)
  if (e?.code === TERMINATED) {
    current.terminations++
    return true
  }
  return e?.message === CLOSED && current.terminations > 0
}

function onUncaught(error: Error, origin: NodeJS.UncaughtExceptionOrigin): void {
  const current = guard()
  if (Date.now() <= current.until && isTermination(current, error)) return
  if (current.saved.length > 0) {
    for (const listener of current.saved) listener.call(process, error, origin)
    return
  }
  // Nobody else listened: end the process the way Node would have without our listener.
  release(current)
  process.nextTick(() => {
    throw error
  })
}

function install(current: Guard): void {
  if (current.listener && process.listeners('uncaughtException').includes(current.listener)) return
  current.terminations = 0
  current.saved = process.listeners('uncaughtException') as Listener[]
  for (const listener of current.saved) process.off('uncaughtException', listener)
  current.listener = onUncaught
  process.on('uncaughtException', onUncaught)
}

function release(current: Guard): void {
  if (current.listener) process.off('uncaughtException', current.listener)
  current.listener = undefined
  for (const listener of current.saved) process.on('uncaughtException', listener)
  current.saved = []
}

/**
 * Runs `drop` (a forced drop of a test file's database) with the errors of the sessions it
 * terminates ignored until {@link TERMINATION_GRACE_MS} after it settles. Other uncaught errors
 * still reach the runner.
 *
 * @example
 * const result = await withTerminationGuard(() => database.drop())
 * if (result.leakedConnections.length) console.warn(formatLeakedConnections(result.leakedConnections))
 */
export async function withTerminationGuard<T>(drop: () => Promise<T>): Promise<T> {
  const current = guard()
  install(current)
  current.until = Number.POSITIVE_INFINITY
  clearTimeout(current.timer)
  try {
    return await drop()
  } finally {
    current.until = Date.now() + TERMINATION_GRACE_MS
    current.timer = setTimeout(() => {
      if (Date.now() >= current.until) release(current)
    }, TERMINATION_GRACE_MS)
    current.timer.unref()
  }
}
