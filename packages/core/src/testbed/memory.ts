import path from 'node:path'
import { enforceMemoryBudget, resolveMemoryBudget } from '../servers/embedded/budget.js'
import { memoryFullOf } from '../servers/embedded/memory-full.js'
import { memoryRootOfDataDir } from '../servers/embedded/memory.js'
import type { EmbeddedPostgresServer } from '../servers/embedded/server.js'
import type { PostgresServer } from '../servers/types.js'
import { staleTemplates } from '../templates/evict.js'
import type { Reporter } from '../progress.js'
import type { TestbedOptions } from './types.js'

/** The embedded server, when its data is in memory. */
function inMemory(server: PostgresServer): EmbeddedPostgresServer | undefined {
  return server.kind === 'embedded' && server.storage.medium === 'memory'
    ? (server as EmbeddedPostgresServer)
    : undefined
}

/** The memory folder of an embedded server's data in memory (`<memoryDir>/<root>/pg<major>/data`). */
function memoryDirOf(server: EmbeddedPostgresServer): string {
  return path.dirname(memoryRootOfDataDir(server.dataDir))
}

/**
 * After a template was built or reused: keeps pgtestbed's data in memory within
 * `embedded.memoryBudget`, evicting (least recently used first) stopped servers' data folders and
 * this server's templates of older schemas; never `protect`ed templates (the run's own).
 */
export async function keepMemoryWithinBudget(
  server: PostgresServer,
  options: TestbedOptions,
  protect: readonly string[],
  reporter: Reporter,
): Promise<void> {
  const embedded = inMemory(server)
  if (!embedded) return
  // Where its data is, whichever process started it and with which memoryDir.
  const memoryDir = memoryDirOf(embedded)
  await enforceMemoryBudget({
    memoryDir,
    budget: resolveMemoryBudget(options.embedded?.memoryBudget, memoryDir),
    reporter,
    more: () => staleTemplates(embedded.adminUrl, { protect }),
  })
}

/**
 * `MEMORY_FULL` in place of an error that says the memory folder of the server's data ran out of
 * space (a 53100 error, or a crash whose log says so); any other error as it is.
 */
export function memoryFullOr(server: PostgresServer, error: unknown, doing: string): unknown {
  const embedded = inMemory(server)
  if (!embedded) return error
  return (
    memoryFullOf(error, { memoryDir: memoryDirOf(embedded), logFile: embedded.logFile, doing }) ??
    error
  )
}
