import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { errorChain } from './error-chain.js'

const OUT_OF_SPACE = /No space left on device|could not extend file/i

/** SQLSTATE internal_error ("checkpoint request failed"), and the error of a lost server. */
const VAGUE_CODES = new Set(['XX000', 'SERVER_LOST'])

/** True when the last 16 KiB of a log file say a file system is full. */
function logSaysOutOfSpace(logFile: string): boolean {
  try {
    const size = statSync(logFile).size
    const length = Math.min(size, 16 * 1024)
    const buffer = Buffer.alloc(length)
    const fd = openSync(logFile, 'r')
    try {
      readSync(fd, buffer, 0, length, size - length)
    } finally {
      closeSync(fd)
    }
    return OUT_OF_SPACE.test(buffer.toString('utf8'))
  } catch {
    return false
  }
}

/**
 * True when `error` (or one of its causes) says a file system is full: PostgreSQL's SQLSTATE 53100
 * (disk_full: "could not extend file …: No space left on device"), Node's ENOSPC, or their words.
 * A vaguer error (XX000 "checkpoint request failed", a server that crashed) counts when the
 * server's log (`logFile`) ends with such words: PostgreSQL tells its client less than its log.
 *
 * @example
 * isOutOfSpace(Object.assign(new Error('could not extend file "base/1/2"'), { code: '53100' })) // true
 */
export function isOutOfSpace(error: unknown, logFile?: string): boolean {
  const chain = errorChain(error)
  const code = (e: Error) => (e as { code?: unknown }).code
  if (
    chain.some((e) => code(e) === '53100' || code(e) === 'ENOSPC' || OUT_OF_SPACE.test(e.message))
  ) {
    return true
  }
  const vague = chain.some((e) => VAGUE_CODES.has(String(code(e))) || /\bXX000\b/.test(e.message))
  return vague && logFile !== undefined && logSaysOutOfSpace(logFile)
}
