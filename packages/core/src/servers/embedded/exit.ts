/** Something to let go of synchronously when the process ends without releasing it. */
export interface ExitReleasable {
  releaseSync(): void
}

const active = new Set<ExitReleasable>()
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let installed = false

function releaseAll(): void {
  for (const handle of [...active]) {
    active.delete(handle)
    try {
      handle.releaseSync()
    } catch {
      // An exit handler must not throw; the next run recovers whatever is left.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  releaseAll()
  uninstall()
  // Nobody else listens: behave as if there had been no listener (die by the signal). Otherwise
  // the others decide. Our listener runs first (prepended) and is gone by the time signal-exit's
  // runs (proper-lockfile installs it), so signal-exit sees itself alone and re-raises as usual.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function install(): void {
  if (installed) return
  installed = true
  process.on('exit', releaseAll)
  for (const signal of SIGNALS) process.prependListener(signal, onSignal)
}

function uninstall(): void {
  if (!installed) return
  installed = false
  process.off('exit', releaseAll)
  for (const signal of SIGNALS) process.off(signal, onSignal)
}

/**
 * Releases `handle` when the process exits normally, or on Ctrl+C / SIGTERM / SIGHUP, unless it was
 * released before ({@link forgetAtExit}). Listeners are only installed while something is tracked.
 */
export function releaseAtExit(handle: ExitReleasable): void {
  active.add(handle)
  install()
}

/** Stops tracking `handle` (it was released normally). */
export function forgetAtExit(handle: ExitReleasable): void {
  active.delete(handle)
  if (active.size === 0) uninstall()
}
