import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Diagnostic } from '../../diagnostics.js'
import { editedFix } from '../files/manifest-check.js'
import type { Manifest, ParsedManifest } from '../files/manifest.js'
import {
  chainLink,
  chainRecords,
  decodeSum,
  relativeTo,
  type MigrationRecord,
} from '../files/manifest-hash.js'
import type { MigratorSet } from './types.js'

const WRITE = '`pgtestbed manifest --write`'

/** One input file as a manifest line hashes it: its path and bytes, CRLF turned into LF. */
async function inputRecord(set: MigratorSet, file: string): Promise<MigrationRecord> {
  const relative = relativeTo(set.dir, file)
  const bytes = Buffer.from(
    (await readFile(file)).toString('latin1').replace(/\r\n/g, '\n'),
    'latin1',
  )
  return { path: relative, files: [{ path: relative, bytes }] }
}

/**
 * The manifest of a migrate command's or function's inputs: one chained line per input file, in
 * path order, hashed like a one-file migration (see `manifest.ts`), so `pgtestbed.sum` has the
 * same format whichever tool builds the template.
 *
 * @example
 * const manifest = await computeInputsManifest(set)
 * manifest.entries[0] // { path: 'knexfile.js', sum: 'h1:…' }
 */
export async function computeInputsManifest(set: MigratorSet): Promise<Manifest> {
  return chainRecords(await Promise.all(set.files.map((file) => inputRecord(set, file))))
}

/**
 * Compares a migrate command's inputs with a manifest: a new input file (MANIFEST_UNLISTED), a
 * listed one that is gone (MANIFEST_MISSING_FILE) and, for a `pgtestbed.sum` file, an edited one
 * (MANIFEST_EDITED: each line is checked from the recorded line before it, so an edit names one
 * file). Inputs have no order of their own, so nothing is ever "reordered".
 *
 * @example
 * const diagnostics = await compareInputsManifest(set, { kind: 'file', manifest: parsed })
 */
export async function compareInputsManifest(
  set: MigratorSet,
  source: { kind: 'file'; manifest: ParsedManifest } | { kind: 'list'; items: readonly string[] },
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = []
  const manifestFile = source.kind === 'file' ? source.manifest.file : undefined
  const where = manifestFile ? path.basename(manifestFile) : 'the manifest list'
  const listed =
    source.kind === 'file'
      ? source.manifest.entries
      : source.items.map((item) => ({
          path: path.isAbsolute(item)
            ? relativeTo(set.dir, item)
            : item.replace(/\\/g, '/').replace(/^(\.\/)+/, ''),
          sum: undefined,
          line: undefined,
        }))
  const found = new Map(set.files.map((file) => [relativeTo(set.dir, file), file]))
  const listedPaths = new Set(listed.map((entry) => entry.path))
  const at = (line: number | undefined) =>
    manifestFile === undefined
      ? {}
      : { file: manifestFile, ...(line === undefined ? {} : { line }) }

  for (const entry of listed) {
    if (found.has(entry.path)) continue
    out.push({
      severity: 'error',
      code: 'MANIFEST_MISSING_FILE',
      message: `${entry.path} is listed in ${where} but is no longer among the migrate inputs`,
      ...at(entry.line),
      related: [{ file: path.join(set.dir, ...entry.path.split('/')) }],
      fix: `restore it; if removing it is intended, run ${WRITE}`,
    })
  }
  for (const [relative, file] of found) {
    if (listedPaths.has(relative)) continue
    out.push({
      severity: 'error',
      code: 'MANIFEST_UNLISTED',
      message: `${relative} is a migrate input that ${where} does not list (it is new since the manifest was written)`,
      file,
      ...(manifestFile === undefined ? {} : { related: [{ file: manifestFile }] }),
      fix:
        source.kind === 'file'
          ? `review it, then run ${WRITE} to add it to ${where}`
          : `add '${relative}' to the manifest list`,
    })
  }
  if (
    source.kind !== 'file' ||
    source.manifest.diagnostics.some((d) => d.code === 'MANIFEST_INVALID')
  ) {
    return out
  }
  const entries = source.manifest.entries
  for (const [i, entry] of entries.entries()) {
    const file = found.get(entry.path)
    const recorded = decodeSum(entry.sum)
    if (file === undefined || recorded === undefined) continue
    const previousSum = entries[i - 1]?.sum
    const previous = previousSum === undefined ? undefined : decodeSum(previousSum)
    if (chainLink(previous, await inputRecord(set, file)).equals(recorded)) continue
    out.push({
      severity: 'error',
      code: 'MANIFEST_EDITED',
      message: `${entry.path} changed since ${where} was written`,
      file,
      related:
        manifestFile === undefined
          ? []
          : [{ file: manifestFile, ...(entry.line === undefined ? {} : { line: entry.line }) }],
      fix: editedFix(entry.path),
    })
  }
  return out
}
