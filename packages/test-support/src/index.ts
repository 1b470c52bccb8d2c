/**
 * What the test suites of core, the Vitest, Jest and node:test adapters share: the server they
 * test against, and how they find, drop and clean up what pgtestbed made during a test (its
 * databases, by their ownership record; embedded servers' processes and data folders in memory).
 * Test code only: it reads no pgtestbed source, so every suite can use it, core's included.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'

/** The PostgreSQL the suites test against (trust auth): `PGTESTBED_TEST_URL`, else the local 15. */
export const SERVER_URL =
  process.env.PGTESTBED_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** Runs `fn` with a client on `url`, ended afterwards whatever happens. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  // A drop WITH (FORCE) elsewhere may end this session; the query that needs it reports that.
  client.on('error', () => {})
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A database pgtestbed made for one project, as its ownership record describes it. */
export interface OwnedDatabase {
  name: string
  /** `template`, `clone`, `pool`, `build`… */
  kind: string
  kept: boolean
  label: string | undefined
}

interface OwnershipRecord {
  kind?: unknown
  project?: unknown
  kept?: unknown
  label?: unknown
}

/** The record in a database comment (`pgtestbed:{json}`), or undefined for anything else. */
function parseRecord(comment: string | null): OwnershipRecord | undefined {
  if (!comment?.startsWith('pgtestbed:')) return undefined
  try {
    const record: unknown = JSON.parse(comment.slice('pgtestbed:'.length))
    return typeof record === 'object' && record !== null ? record : undefined
  } catch {
    // A foreign lookalike's comment may start like a record and not be one.
    return undefined
  }
}

/**
 * The databases on `url`'s server whose pgtestbed record names `projectKey` (core's
 * `projectKeyFor(migrationsDir)`): templates, clones, pool and build databases of that project,
 * and nothing of anyone else's.
 */
export async function ownedDatabases(
  projectKey: string,
  url: string = SERVER_URL,
): Promise<OwnedDatabase[]> {
  const { rows } = await withClient(url, (client) =>
    client.query<{ name: string; comment: string | null }>(
      `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment
         FROM pg_database WHERE datname LIKE 'pgtestbed\\_%'`,
    ),
  )
  return rows.flatMap((row) => {
    const record = parseRecord(row.comment)
    if (record?.project !== projectKey || typeof record.kind !== 'string') return []
    const label = typeof record.label === 'string' ? record.label : undefined
    return [{ name: row.name, kind: record.kind, kept: record.kept === true, label }]
  })
}

/**
 * Drops every database of `projectKey` (a fixture's templates and whatever a failed test left),
 * so a test leaves the shared server as it found it. Pass only keys of the test's own folders.
 */
export async function dropOwnedDatabases(
  projectKey: string,
  url: string = SERVER_URL,
): Promise<void> {
  const databases = await ownedDatabases(projectKey, url)
  await withClient(url, async (client) => {
    for (const { name } of databases) {
      const quoted = `"${name.replace(/"/g, '""')}"`
      // Another process's start-up sweep may drop a leftover first: "does not exist" is fine.
      await client.query(`ALTER DATABASE ${quoted} IS_TEMPLATE false`).catch(() => {})
      await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`)
    }
  })
}

/** Pids of live (not zombie) processes whose command line mentions `text`. Linux only. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (/\) Z /.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ')
      if (cmdline.includes(text)) pids.push(Number(entry))
    } catch {
      // Gone meanwhile.
    }
  }
  return pids
}

/** Kills (SIGKILL, by pid) every process still naming `dir`: a test's leftover server. */
export function killProcessesMentioning(dir: string): void {
  for (const pid of processesMentioning(dir)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}

/**
 * The folders in `memoryDir` (the embedded server's default, core's `DEFAULT_MEMORY_DIR`) that
 * hold the data of the embedded server of `cacheDir`: the `pgtestbed-*` folders whose owner file
 * names `cacheDir`.
 */
export function memoryFoldersOf(cacheDir: string, memoryDir = '/dev/shm'): string[] {
  let names: string[]
  try {
    names = readdirSync(memoryDir).filter((name) => name.startsWith('pgtestbed-'))
  } catch {
    return []
  }
  return names
    .map((name) => path.join(memoryDir, name))
    .filter((dir) => {
      try {
        const owner = JSON.parse(readFileSync(path.join(dir, 'owner.json'), 'utf8')) as {
          cacheDir?: unknown
        }
        return owner.cacheDir === cacheDir
      } catch {
        return false
      }
    })
}

/** Polls `check` every `intervalMs` until it holds or `timeoutMs` passes; returns its last value. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
