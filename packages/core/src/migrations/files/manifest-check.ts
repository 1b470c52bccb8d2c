import path from 'node:path'
import type { Diagnostic, SourceLocation } from '../../diagnostics.js'
import type { Migration, MigrationSet } from '../types.js'
import type { ParsedManifest } from './manifest.js'
import { chainLink, decodeSum, readRecord, relativeTo } from './manifest-hash.js'
import { editedParts, insertConsequence, renumberSuggestion } from './manifest-fix.js'

/** What a migration set is compared with: a parsed `pgtestbed.sum`, or an explicit list of names. */
export type ManifestSource =
  { kind: 'file'; manifest: ParsedManifest } | { kind: 'list'; items: readonly string[] }

/** One declared migration. */
interface Listed {
  path: string
  /** As the user wrote it (list form); the path itself for the file form. */
  written: string
  sum?: string
  line?: number
}

/** One discovered migration. */
interface Found {
  path: string
  migration: Migration
}

const WRITE = '`pgtestbed manifest --write`'

/**
 * The fix for a file that changed since the manifest was written. Without a database pgtestbed
 * cannot tell a migration being written from one applied and then edited, so it names both cases.
 */
export function editedFix(file: string): string {
  return `if this migration is new and no shared database has applied it yet, record the change with ${WRITE}; if it was already merged or deployed, restore it (e.g. \`git checkout -- ${file}\`) and put the change in a new migration`
}

/** Everything the individual checks share. */
class Comparison {
  readonly out: Diagnostic[] = []
  readonly isFile: boolean
  readonly manifestFile: string | undefined
  /** How messages name the manifest: `pgtestbed.sum` or `the migrations list`. */
  readonly where: string
  readonly listed: Listed[]
  readonly found: Found[]
  readonly posL: Map<string, number>
  readonly posF: Map<string, number>

  constructor(
    readonly set: MigrationSet,
    readonly source: ManifestSource,
  ) {
    this.isFile = source.kind === 'file'
    this.manifestFile = source.kind === 'file' ? source.manifest.file : undefined
    this.where = this.manifestFile ? path.basename(this.manifestFile) : 'the migrations list'
    this.listed =
      source.kind === 'file'
        ? source.manifest.entries.map((e) => ({ ...e, written: e.path }))
        : listFromConfig(set, source.items, this.out)
    this.found = set.migrations.map((m) => ({ path: relativeTo(set.dir, m.up.file), migration: m }))
    this.posL = new Map(this.listed.map((l, i) => [l.path, i]))
    this.posF = new Map(this.found.map((f, i) => [f.path, i]))
  }

  /** The manifest line of `entry`, as a related location (file form only). */
  at(entry: Listed): SourceLocation[] {
    if (this.manifestFile === undefined) return []
    return [{ file: this.manifestFile, ...(entry.line === undefined ? {} : { line: entry.line }) }]
  }

  /** The nearest item before `index` that the other side has too, or null. */
  previousShared(
    items: readonly { path: string }[],
    index: number,
    side: 'listed' | 'found',
  ): string | null {
    const other = side === 'listed' ? this.posF : this.posL
    for (let i = index - 1; i >= 0; i--) {
      const item = items[i]
      if (item && other.has(item.path)) return item.path
    }
    return null
  }
}

/**
 * Compares the discovered migrations with a manifest; returns one error diagnostic per difference.
 * Used by `checkManifest`, which reads the file first.
 */
export async function compareManifest(
  set: MigrationSet,
  source: ManifestSource,
): Promise<Diagnostic[]> {
  const c = new Comparison(set, source)
  const renames = guessRenames(c)
  reportMissing(c, renames)
  reportNew(c, renames)
  reportMoved(c)
  // Chain values are only trustworthy when every line parsed (a dropped line breaks the chain).
  if (
    source.kind === 'file' &&
    !source.manifest.diagnostics.some((d) => d.code === 'MANIFEST_INVALID')
  ) {
    await reportEdited(c)
  }
  return c.out
}

/** Files discovery saw but could not load are reported by discovery; they are not "missing". */
function missingEntries(c: Comparison): Listed[] {
  const present = new Set(c.set.files.map((f) => relativeTo(c.set.dir, f)))
  return c.listed.filter((l) => !c.posF.has(l.path) && !present.has(l.path))
}

/** A missing and a new file alone in the same slot between shared files: probably a rename. */
function guessRenames(c: Comparison): Map<string, string> {
  const missing = missingEntries(c)
  const fresh = c.found.filter((f) => !c.posL.has(f.path))
  const slotL = (l: Listed) => String(c.previousShared(c.listed, c.posL.get(l.path)!, 'listed'))
  const slotF = (f: Found) => String(c.previousShared(c.found, c.posF.get(f.path)!, 'found'))
  const renames = new Map<string, string>()
  for (const m of missing) {
    const slot = slotL(m)
    const candidates = fresh.filter((f) => slotF(f) === slot)
    const only = candidates.length === 1 && missing.filter((x) => slotL(x) === slot).length === 1
    if (only && candidates[0]) {
      renames.set(m.path, candidates[0].path)
      renames.set(candidates[0].path, m.path)
    }
  }
  return renames
}

function reportMissing(c: Comparison, renames: Map<string, string>): void {
  for (const entry of missingEntries(c)) {
    const renamed = renames.get(entry.path)
    c.out.push({
      severity: 'error',
      code: 'MANIFEST_MISSING_FILE',
      message:
        `${c.isFile ? entry.path : `'${entry.written}'`} is listed in ${c.where} but is gone from the migrations folder` +
        (renamed ? ` (renamed to ${renamed}?)` : ''),
      ...(c.manifestFile === undefined ? {} : { file: c.manifestFile }),
      ...(entry.line === undefined ? {} : { line: entry.line }),
      related: [{ file: path.join(c.set.dir, ...entry.path.split('/')) }],
      fix: c.isFile
        ? `restore it (e.g. \`git checkout -- ${entry.path}\`); if removing or renaming it is intended and no database has applied it, run ${WRITE}`
        : `restore ${entry.path}, or remove '${entry.written}' from the migrations list` +
          (renamed ? ` and add '${renamed}' in its place` : ''),
    })
  }
}

/** New files: MANIFEST_UNLISTED after every listed one, MANIFEST_REORDERED when inserted before one. */
function reportNew(c: Comparison, renames: Map<string, string>): void {
  c.found.forEach((f, index) => {
    if (c.posL.has(f.path)) return
    const next = c.found.slice(index + 1).find((x) => c.posL.has(x.path))
    const renamed = renames.get(f.path)
    if (next === undefined || renamed !== undefined) {
      const after = c.found[index - 1]?.path
      c.out.push({
        severity: 'error',
        code: 'MANIFEST_UNLISTED',
        message:
          `${f.path} is not in ${c.where}` +
          (renamed
            ? ` (a rename of ${renamed}?)`
            : c.isFile
              ? ' (it is new since the manifest was written)'
              : ''),
        file: f.migration.up.file,
        ...(c.manifestFile === undefined ? {} : { related: [{ file: c.manifestFile }] }),
        fix: c.isFile
          ? `review it, then run ${WRITE} to add it to ${c.where}`
          : `add '${f.path}' to the migrations list ${after === undefined ? 'at the start' : `after '${after}'`}`,
      })
      return
    }
    const listedNext = c.listed[c.posL.get(next.path)!]!
    const suggestion = renumberSuggestion(c.set, f.migration)
    c.out.push({
      severity: 'error',
      code: 'MANIFEST_REORDERED',
      message: `${f.path} is new and sorts before ${next.path}, which ${c.where} already lists: ${insertConsequence(c.set, f.path, next.path)}`,
      file: f.migration.up.file,
      related: [{ file: next.migration.up.file }, ...c.at(listedNext)],
      fix: c.isFile
        ? `${suggestion.text} so it sorts after every listed migration, then run ${WRITE}; ` +
          `or, if no database has applied ${next.path} yet, run ${WRITE} to accept the new order`
        : `${suggestion.text} so it sorts after every listed migration and add '${suggestion.newPath}' at the end of the list; ` +
          `or, if no database has applied ${next.path} yet, add '${f.path}' to the list before '${listedNext.written}'`,
    })
  })
}

/** Shared files in a different order: the ones outside a longest in-order run have moved. */
function reportMoved(c: Comparison): void {
  const shared = c.found.filter((f) => c.posL.has(f.path))
  const inOrder = longestIncreasing(shared.map((f) => c.posL.get(f.path)!))
  const place = (p: string | null) => (p === null ? 'first' : `after ${p}`)
  const journal = c.set.format === 'drizzle' && c.set.layout !== 'folders'
  shared.forEach((f, i) => {
    if (inOrder.has(i)) return
    const entry = c.listed[c.posL.get(f.path)!]!
    const nowAfter = c.previousShared(shared, i, 'found')
    const wasAfter = c.previousShared(c.listed, c.posL.get(f.path)!, 'listed')
    c.out.push({
      severity: 'error',
      code: 'MANIFEST_REORDERED',
      message: `${f.path} moved: it is now applied ${place(nowAfter)}, but ${c.where} lists it ${place(wasAfter)}`,
      file: f.migration.up.file,
      ...(c.isFile ? { related: c.at(entry) } : {}),
      fix: c.isFile
        ? `restore the previous order${journal ? ' of the entries in meta/_journal.json' : ''}; if no database has applied these migrations yet and the new order is intended, run ${WRITE}`
        : `move '${entry.written}' in the migrations list ${nowAfter === null ? 'to the start' : `after '${nowAfter}'`}`,
    })
  })
}

/**
 * Verifies each line from the recorded line before it, so an edit is attributed to the edited
 * file alone (the lines after it still verify against their own recorded predecessors).
 */
async function reportEdited(c: Comparison): Promise<void> {
  const checks = await Promise.all(
    c.listed.map(async (entry, i) => {
      const index = c.posF.get(entry.path)
      const migration = index === undefined ? undefined : c.found[index]?.migration
      const recorded = entry.sum === undefined ? undefined : decodeSum(entry.sum)
      if (!migration || !recorded) return undefined
      const previousSum = c.listed[i - 1]?.sum
      const previous = previousSum === undefined ? undefined : decodeSum(previousSum)
      const actual = chainLink(previous, await readRecord(c.set, migration))
      return actual.equals(recorded) ? undefined : { entry, migration }
    }),
  )
  for (const edited of checks) {
    if (!edited) continue
    const { entry, migration } = edited
    c.out.push({
      severity: 'error',
      code: 'MANIFEST_EDITED',
      message: `${entry.path} changed since ${c.where} was written (${editedParts(c.set, migration)})`,
      file: migration.up.file,
      related: c.at(entry),
      fix: editedFix(entry.path),
    })
  }
}

/** Normalises an explicit list (`./a.sql`, `a\\b.sql`, absolute paths inside the folder). */
function listFromConfig(set: MigrationSet, items: readonly string[], out: Diagnostic[]): Listed[] {
  const listed: Listed[] = []
  const seen = new Set<string>()
  for (const written of items) {
    const normal = path.isAbsolute(written)
      ? relativeTo(set.dir, written)
      : written.replace(/\\/g, '/').replace(/^(\.\/)+/, '')
    if (normal === '' || seen.has(normal)) {
      out.push({
        severity: 'error',
        code: 'MANIFEST_INVALID',
        message:
          normal === ''
            ? 'the migrations list has an empty name'
            : `the migrations list names '${written}' twice`,
        fix:
          normal === ''
            ? 'remove the empty string from the list'
            : `remove the second '${written}'`,
      })
      continue
    }
    seen.add(normal)
    listed.push({ path: normal, written })
  }
  return listed
}

/** Indexes of one longest strictly increasing subsequence of `values` (patience sorting). */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = [] // tails[k]: index of the smallest last value of a run of length k+1
  const parent: number[] = []
  values.forEach((value, i) => {
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (values[tails[mid]!]! < value) lo = mid + 1
      else hi = mid
    }
    parent[i] = lo > 0 ? tails[lo - 1]! : -1
    tails[lo] = i
  })
  const keep = new Set<number>()
  for (let i = tails.at(-1) ?? -1; i !== -1; i = parent[i]!) keep.add(i)
  return keep
}
