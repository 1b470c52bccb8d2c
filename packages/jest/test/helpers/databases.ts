import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { DEFAULT_MEMORY_DIR, projectKeyFor } from '@pgtestbed/core'
import pg from 'pg'
import { SERVER_URL } from './jest-run.js'

/** A database pgtestbed created for one project (found by its ownership record). */
export interface OurDatabase {
  name: string
  kind: string
  kept: boolean
  label: string | undefined
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * The databases on the server whose pgtestbed record names the project of `migrationsDir`
 * (templates, clones, pool and build databases of that folder, and nothing of anyone else's).
 */
export async function databasesOf(
  migrationsDir: string,
  url: string = SERVER_URL,
): Promise<OurDatabase[]> {
  const project = projectKeyFor(migrationsDir)
  const { rows } = await withClient(url, (client) =>
    client.query<{ datname: string; comment: string }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS comment
         FROM pg_database WHERE datname LIKE 'pgtestbed\\_%'`,
    ),
  )
  return rows.flatMap((row) => {
    if (!row.comment?.startsWith('pgtestbed:')) return []
    // A foreign lookalike's comment may start with `pgtestbed:` and hold anything but a record.
    let record: { kind: string; project: string; kept?: boolean; label?: string } | null
    try {
      record = JSON.parse(row.comment.slice('pgtestbed:'.length))
    } catch {
      return []
    }
    if (typeof record !== 'object' || record === null || record.project !== project) return []
    return [
      { name: row.datname, kind: record.kind, kept: record.kept === true, label: record.label },
    ]
  })
}

/** Drops every database of the project of `migrationsDir` (test clean-up). */
export async function dropDatabasesOf(
  migrationsDir: string,
  url: string = SERVER_URL,
): Promise<void> {
  const databases = await databasesOf(migrationsDir, url)
  await withClient(url, async (client) => {
    for (const { name } of databases) {
      // Another process's start-up sweep may drop a leftover first: "does not exist" is fine.
      await client.query(`ALTER DATABASE "${name}" IS_TEMPLATE false`).catch(() => {})
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    }
  })
}

/** Rows of `table` in database `url`, or an error message when it cannot be read. */
export async function readRows(url: string, sql: string): Promise<unknown[]> {
  return withClient(url, async (client) => (await client.query(sql)).rows)
}

/** Pids of live processes whose command line mentions `dir` (an embedded server's data folder). */
export function processesUsing(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(path.join('/proc', entry, 'cmdline'), 'utf8')
      if (cmdline.includes(dir)) pids.push(Number(entry))
    } catch {
      // the process ended meanwhile
    }
  }
  return pids
}

/**
 * The folders in `/dev/shm` holding the data of the embedded server of `cacheDir` (memory
 * storage, the default on Linux): the `pgtestbed-*` folders whose owner file names `cacheDir`.
 */
export function memoryFoldersOf(cacheDir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(DEFAULT_MEMORY_DIR).filter((name) => name.startsWith('pgtestbed-'))
  } catch {
    return []
  }
  return names
    .map((name) => path.join(DEFAULT_MEMORY_DIR, name))
    .filter((dir) => {
      try {
        const owner = JSON.parse(readFileSync(path.join(dir, 'owner.json'), 'utf8')) as {
          cacheDir?: string
        }
        return owner.cacheDir === cacheDir
      } catch {
        return false
      }
    })
}
