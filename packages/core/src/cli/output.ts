import pc from 'picocolors'

/** Colour functions (identity functions when colour is off). */
export type Colors = ReturnType<typeof pc.createColors>

/** A stream the CLI writes to (`process.stdout`, or a capture in tests). */
export interface OutputStream {
  write(text: string): unknown
  isTTY?: boolean
}

/** Where a command prints: results on `out`, progress and errors on `err`, each with its colours. */
export interface Output {
  out: OutputStream
  err: OutputStream
  /** Colours for `out` (plain functions when `out` is not a terminal). */
  colors: Colors
  /** Colours for `err`. */
  errColors: Colors
  /** Prints a line (or lines) on `out`. */
  print(text?: string): void
  /** Prints a line (or lines) on `err`. */
  note(text: string): void
}

/**
 * Colour only on a terminal: `NO_COLOR` (any value) turns it off, `FORCE_COLOR` (not `0`) on, and
 * a pipe or file never gets escape codes, even in CI (picocolors alone would colour when `CI` is
 * set).
 */
function colorsFor(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): Colors {
  const force = env.FORCE_COLOR
  const enabled =
    'NO_COLOR' in env && env.NO_COLOR !== undefined
      ? false
      : force !== undefined && force !== '0' && force !== 'false'
        ? true
        : stream.isTTY === true && env.TERM !== 'dumb'
  return pc.createColors(enabled)
}

/** Streams whose closed-pipe errors are already handled (a stream gets one listener). */
const guarded = new WeakMap<object, { closed: boolean }>()

/** Error codes that mean the reader went away: `pgtestbed check | head -1` once head exits. */
const CLOSED_PIPE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED'])

/**
 * `stream`, made to tolerate a reader that stops reading: once a write fails with EPIPE, later
 * writes are dropped instead of crashing the process with an unhandled 'error' event, so the
 * command still finishes (a migration is not cut short because `head` exited) and exits with its
 * own code. Other write errors are thrown as before. Streams without events (a capture in tests)
 * are returned as they are.
 */
function tolerateClosedPipe(stream: OutputStream): OutputStream {
  const emitter = stream as OutputStream & Partial<NodeJS.EventEmitter>
  if (typeof emitter.on !== 'function') return stream
  const pipe = guarded.get(stream) ?? { closed: false }
  if (!guarded.has(stream)) {
    guarded.set(stream, pipe)
    emitter.on('error', (error: NodeJS.ErrnoException) => {
      if (!CLOSED_PIPE.has(error.code ?? '')) throw error
      pipe.closed = true
    })
  }
  return {
    get isTTY() {
      return stream.isTTY
    },
    write: (text) => (pipe.closed ? false : stream.write(text)),
  }
}

/**
 * The output of the running process: stdout for results, stderr for progress and errors. Both
 * tolerate a closed pipe (see `tolerateClosedPipe`).
 */
export function createOutput(
  outStream: OutputStream = process.stdout,
  errStream: OutputStream = process.stderr,
): Output {
  const out = tolerateClosedPipe(outStream)
  const err = tolerateClosedPipe(errStream)
  return {
    out,
    err,
    colors: colorsFor(out),
    errColors: colorsFor(err),
    print: (text = '') => void out.write(`${text}\n`),
    note: (text) => void err.write(`${text}\n`),
  }
}
