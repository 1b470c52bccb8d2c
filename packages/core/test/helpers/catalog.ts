import type pg from 'pg'
import { isPgtestbedError, type PgtestbedError } from '../../src/errors.js'

/** One column as the catalog describes it. */
export interface Column {
  name: string
  type: string
  notNull: boolean
  default: string | null
  identity: string
}

/** A table's columns and constraints as the catalog describes them, to compare tables exactly. */
export async function describeTable(
  client: pg.Client,
  table: string,
): Promise<{ columns: Column[]; constraints: string[] }> {
  const columns = await client.query<Column>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS "notNull",
            pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity AS identity
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  )
  const constraints = await client.query<{ c: string }>(
    `SELECT conname || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname`,
    [table],
  )
  return { columns: columns.rows, constraints: constraints.rows.map((r) => r.c) }
}

/** A column as {@link describeTable} lists it. */
export const col = (
  name: string,
  type: string,
  notNull: boolean,
  def: string | null = null,
  identity = '',
): Column => ({ name, type, notNull, default: def, identity })

/** The pgtestbed error `promise` rejects with (throws when it resolves or rejects otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<PgtestbedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!isPgtestbedError(error)) throw new Error(`expected a pgtestbed error, got ${String(error)}`)
  return error
}
