export { quoteIdent, quoteLiteral } from '../internal/quote-ident.js'

/** The SQLSTATE of a `pg` error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** A one-line description of a `pg` (or any) error: `ERROR 55006: message`. */
export function describePgError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = sqlState(error)
  return code && /^[0-9A-Z]{5}$/.test(code) ? `ERROR ${code}: ${message}` : message
}
