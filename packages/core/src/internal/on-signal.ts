const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Runs `work` so that a Ctrl-C (SIGINT), SIGTERM or SIGHUP during it still cleans up: the signal
 * aborts the `AbortSignal` given to `work` (a running command stops), then `cleanup` runs, then
 * the signal is raised again if nothing else in the process handles it (a plain CLI ends as it
 * would have; a test runner that listens for the signal ends its own way).
 *
 * @example
 * await withSignalCleanup(() => scratch.drop(), (signal) => runCommand({ …, signal }))
 */
export async function withSignalCleanup<T>(
  cleanup: () => Promise<unknown>,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    controller.abort(new Error(`interrupted by ${signal}`))
    void cleanup()
      .catch(() => {})
      .finally(() => {
        remove()
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
      })
  }
  const remove = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal)
  }
  for (const signal of SIGNALS) process.on(signal, onSignal)
  try {
    return await work(controller.signal)
  } finally {
    if (!controller.signal.aborted) remove()
  }
}
