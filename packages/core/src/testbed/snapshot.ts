import { displayPath } from '../diagnostics.js'
import { plural } from '../internal/plural.js'
import type { Reporter } from '../progress.js'
import type { EmbeddedPostgresServer } from '../servers/embedded/server.js'
import { readSnapshot, saveSnapshot, type SavedSnapshot } from '../servers/embedded/snapshot.js'
import { formatBytes } from '../servers/embedded/storage.js'
import { withAdminClient } from '../templates/admin.js'
import { checkOwnership, listDatabases } from '../templates/ownership.js'

/**
 * Saves a snapshot of the embedded server's cluster into the template cache folder (see
 * `servers/embedded/snapshot.ts`): its sealed templates are recorded, and the other databases
 * pgtestbed created (clones, pool databases, builds, kept databases) are left out. Databases
 * pgtestbed did not create are copied as they are.
 *
 * @example
 * const saved = await snapshotCluster(server, '.pgtestbed-cache')
 */
export async function snapshotCluster(
  server: EmbeddedPostgresServer,
  templateCache: string,
): Promise<SavedSnapshot> {
  const templates: string[] = []
  const exclude: string[] = []
  await withAdminClient(server.adminUrl, async (client) => {
    for (const entry of await listDatabases(client)) {
      const ownership = checkOwnership(entry)
      if (!ownership.owned) continue
      const sealed = entry.isTemplate && ownership.record.kind === 'template'
      ;(sealed ? templates : exclude).push(entry.name)
    }
  })
  return saveSnapshot({
    adminUrl: server.adminUrl,
    dataDir: server.dataDir,
    version: server.version,
    templateCache,
    templates,
    exclude,
  })
}

/**
 * Saves a snapshot of `server`'s cluster into `templateCache` unless the one there holds
 * `template` already, with a progress step. Returns what it saved, or `undefined`.
 *
 * @throws what {@link snapshotCluster} throws (the step fails with its message first).
 */
export async function snapshotUnlessHeld(
  server: EmbeddedPostgresServer,
  template: string,
  templateCache: string,
  reporter: Reporter,
): Promise<SavedSnapshot | undefined> {
  const existing = await readSnapshot(templateCache, server.version)
  if (existing?.manifest.templates.includes(template)) return undefined
  const step = reporter.step(`saving the embedded server's cluster to the template cache`)
  try {
    const saved = await snapshotCluster(server, templateCache)
    step.done(
      `saved the embedded server's cluster (${plural(saved.manifest.templates.length, 'template')}, ${formatBytes(saved.bytes)}) to ${displayPath(saved.dir, process.cwd())}`,
    )
    return saved
  } catch (error) {
    step.fail(`saving the embedded server's cluster failed: ${(error as Error).message}`)
    throw error
  }
}
