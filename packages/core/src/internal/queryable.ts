import type pg from 'pg'

/**
 * Anything that runs a query: a `pg.Client`, a pool client or a `pg.Pool`. It lives here, below
 * every layer that talks to a database, so none of them imports another just for this type.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>
}
