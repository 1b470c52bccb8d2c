import type { Queryable } from '../internal/queryable.js'

export { quoteIdent, quoteLiteral } from '../internal/quote-ident.js'

/**
 * The SQLSTATE pgtestbed's DO blocks raise when they decline, having changed nothing
 * (`no_data_found`): an empty pool, a clone that cannot be handed back.
 */
export const DECLINED = 'P0002'

/**
 * Runs a DO block that either does its work or raises {@link DECLINED}; true when it did its
 * work, false when it declined. Any other error is thrown.
 *
 * @example
 * if (!(await runUnlessDeclined(client, claimBlock))) await cloneInto(client, …)
 */
export async function runUnlessDeclined(client: Queryable, sql: string): Promise<boolean> {
  try {
    await client.query(sql)
    return true
  } catch (error) {
    if (sqlState(error) === DECLINED) return false
    throw error
  }
}

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
