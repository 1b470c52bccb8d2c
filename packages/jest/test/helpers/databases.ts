import { projectKeyFor } from '@pgtestbed/core'
import {
  dropOwnedDatabases,
  type OwnedDatabase,
  ownedDatabases,
  SERVER_URL,
  withClient,
} from '@pgtestbed/test-support'

export { memoryFoldersOf, processesMentioning as processesUsing } from '@pgtestbed/test-support'

/**
 * The databases on the server whose pgtestbed record names the project of `migrationsDir`
 * (templates, clones, pool and build databases of that folder, and nothing of anyone else's).
 */
export function databasesOf(migrationsDir: string, url = SERVER_URL): Promise<OwnedDatabase[]> {
  return ownedDatabases(projectKeyFor(migrationsDir), url)
}

/** Drops every database of the project of `migrationsDir` (test clean-up). */
export function dropDatabasesOf(migrationsDir: string, url = SERVER_URL): Promise<void> {
  return dropOwnedDatabases(projectKeyFor(migrationsDir), url)
}

/** Rows of `sql` in database `url`. */
export async function readRows(url: string, sql: string): Promise<unknown[]> {
  return withClient(url, async (client) => (await client.query(sql)).rows)
}
