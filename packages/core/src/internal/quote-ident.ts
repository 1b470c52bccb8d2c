/**
 * The one place pgtestbed turns names and values into SQL text. Every identifier pgtestbed
 * interpolates (version tables, schemas, databases) goes through {@link quoteIdent}, so a name
 * with capitals, spaces or quotes can never change the meaning of a statement.
 */

/**
 * Quotes an SQL identifier the way PostgreSQL's `quote_ident` would when quoting is needed:
 * wrapped in double quotes, embedded double quotes doubled. Always quotes, so the name is used
 * exactly as given (case included).
 *
 * @example
 * quoteIdent('goose_db_version') // '"goose_db_version"'
 * quoteIdent('my "odd" name')     // '"my ""odd"" name"'
 */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new TypeError(`identifier contains a NUL character: ${name}`)
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * Quotes `schema.name`, or just `name` when `schema` is undefined (the name then resolves through
 * the connection's `search_path`).
 *
 * @example
 * quoteQualified('drizzle', '__drizzle_migrations') // '"drizzle"."__drizzle_migrations"'
 * quoteQualified(undefined, 'goose_db_version')      // '"goose_db_version"'
 */
export function quoteQualified(schema: string | undefined, name: string): string {
  return schema === undefined ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/**
 * Quotes a string as an SQL literal, like PostgreSQL's `quote_literal`: single quotes doubled,
 * and an `E'…'` literal with doubled backslashes when the text holds a backslash (so the result
 * is the same whatever `standard_conforming_strings` says).
 *
 * @example
 * quoteLiteral("it's") // "'it''s'"
 * quoteLiteral('a\\b') // "E'a\\\\b'"
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('string literal contains a NUL character')
  const quoted = value.replace(/'/g, "''")
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`
}
