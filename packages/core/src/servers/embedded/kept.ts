import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connectPg } from '../../internal/pg-connect.js'
import type { ServerPaths } from './paths.js'

/**
 * The databases kept for debugging (after a failed test) on a server that stopped with its data
 * in memory, as recorded in its `kept.json`: the memory budget never evicts that data folder.
 */
export function readKeptRecord(paths: ServerPaths): string[] {
  try {
    const record = JSON.parse(readFileSync(paths.keptFile, 'utf8')) as { databases?: unknown }
    return Array.isArray(record.databases) ? record.databases.map(String) : []
  } catch {
    return []
  }
}

/**
 * Before a server with its data in memory stops: records the databases kept on it in
 * `kept.json` (removes the file when there are none). A kept clone is one whose ownership record
 * (its comment, see `templates/ownership.ts`) says `"kept":true`. Best effort: when the server
 * cannot be asked, the previous record stays.
 */
export async function recordKeptDatabases(paths: ServerPaths, adminUrl: string): Promise<void> {
  let names: string[]
  try {
    const client = await connectPg(adminUrl, { timeoutMs: 2000 })
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT datname AS name FROM pg_database
          WHERE datname LIKE 'pgtestbed\\_c\\_%'
            AND shobj_description(oid, 'pg_database') LIKE 'pgtestbed:{%"kept":true%'
          ORDER BY 1`,
      )
      names = rows.map((row) => row.name)
    } finally {
      await client.end().catch(() => {})
    }
  } catch {
    return
  }
  if (names.length === 0) {
    rmSync(paths.keptFile, { force: true })
    return
  }
  writeFileSync(
    paths.keptFile,
    `${JSON.stringify({ databases: names, at: new Date().toISOString() }, null, 2)}\n`,
  )
}
