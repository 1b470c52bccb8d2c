import { quoteIdent } from '../internal/quote-ident.js'
import type { ObjectKind } from './types.js'

/** A name PostgreSQL would print without quotes (lower case, no special characters). */
const PLAIN = /^[a-z_][a-z0-9_$]*$/

/**
 * A name as PostgreSQL prints it: bare when it can be, else double-quoted.
 *
 * @example
 * displayName('users') // 'users'
 * displayName('Order') // '"Order"'
 */
export function displayName(name: string): string {
  return PLAIN.test(name) ? name : quoteIdent(name)
}

/**
 * The dotted, quoted-where-needed form of a name's parts.
 *
 * @example
 * displayId(['public', 'Order', 'total']) // 'public."Order".total'
 */
export function displayId(path: readonly string[]): string {
  return path.map(displayName).join('.')
}

/** The key of an object in an inspection: `table public.users`. */
export function objectKey(kind: ObjectKind, id: string): string {
  return `${kind} ${id}`
}
