const OUT_OF_SPACE = /No space left on device|could not extend file/i

/**
 * True when `error` (or one of its causes) says a file system is full: PostgreSQL's SQLSTATE 53100
 * (disk_full: "could not extend file …: No space left on device"), Node's ENOSPC, or their words.
 *
 * @example
 * isOutOfSpace(Object.assign(new Error('could not extend file "base/1/2"'), { code: '53100' })) // true
 */
export function isOutOfSpace(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code
    if (code === '53100' || code === 'ENOSPC' || OUT_OF_SPACE.test(e.message)) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** True when `text` (a server log's tail) says a file system is full. */
export function saysOutOfSpace(text: string): boolean {
  return OUT_OF_SPACE.test(text)
}
