import type { EvictionCandidate } from '../servers/embedded/budget.js'
import { formatBytes } from '../servers/embedded/storage.js'
import { withAdminClient } from './admin.js'
import { dropDatabase } from './drop.js'
import { templateNameFor } from './naming.js'
import { isOwned, listDatabases, readDatabase, type OwnershipRecord } from './ownership.js'
import { DEFAULT_TEMPLATE_MIN_AGE_MS } from './sweep.js'

/** Options of {@link staleTemplates}. */
export interface StaleTemplatesOptions {
  /** Templates never offered (the one this run uses). */
  protect: readonly string[]
  /** A template used more recently than this is not stale. Default: 15 minutes, as the sweep's. */
  minAgeMs?: number
}

const lastUse = (record: OwnershipRecord) => Date.parse(record.usedAt ?? record.createdAt) || 0

/**
 * The templates on a server that the memory budget may drop, as eviction candidates: complete
 * templates pgtestbed owns that are NOT the most recently used of their project (the current
 * fingerprint, which a watch-mode run may clone from at any moment), not protected, not used in
 * the last `minAgeMs`, and the source of no clone or pool database still there (a kept clone
 * included). Each is dropped under the same ownership check as every drop.
 *
 * @example
 * const candidates = await staleTemplates(server.adminUrl, { protect: [template.name] })
 */
export async function staleTemplates(
  adminUrl: string,
  options: StaleTemplatesOptions,
): Promise<EvictionCandidate[]> {
  const minAge = options.minAgeMs ?? DEFAULT_TEMPLATE_MIN_AGE_MS
  const now = Date.now()
  return withAdminClient(adminUrl, async (client) => {
    const owned = (await listDatabases(client)).filter(isOwned)
    const sources = new Set(owned.map((entry) => entry.record.template))
    const templates = owned.filter(
      (entry) =>
        entry.record.kind === 'template' &&
        entry.record.complete === true &&
        entry.record.fingerprint !== undefined &&
        entry.isTemplate &&
        entry.name === templateNameFor(entry.record.fingerprint),
    )
    const newest = new Map<string, number>()
    for (const t of templates) {
      newest.set(t.record.project, Math.max(newest.get(t.record.project) ?? 0, lastUse(t.record)))
    }
    const stale = templates.filter(
      (t) =>
        lastUse(t.record) < (newest.get(t.record.project) ?? 0) &&
        now - lastUse(t.record) >= minAge &&
        !options.protect.includes(t.name) &&
        !sources.has(t.name),
    )
    const candidates: EvictionCandidate[] = []
    for (const t of stale) {
      const { rows } = await client.query<{ bytes: string }>(
        'SELECT pg_database_size($1::name)::text AS bytes',
        [t.name],
      )
      const bytes = Number(rows[0]?.bytes ?? 0)
      candidates.push({
        label: `template ${t.name} (${formatBytes(bytes)}, an older schema of project ${t.record.project})`,
        bytes,
        lastUsed: lastUse(t.record),
        evict: () =>
          withAdminClient(adminUrl, async (admin) => {
            // Used again (or given a clone) since it was listed: no longer stale.
            const entry = await readDatabase(admin, t.name)
            if (!entry || !isOwned(entry) || lastUse(entry.record) !== lastUse(t.record)) {
              return false
            }
            return (await dropDatabase(admin, t.name)).dropped
          }),
      })
    }
    return candidates
  })
}
