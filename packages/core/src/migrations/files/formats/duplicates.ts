import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Diagnostic } from '../../../diagnostics.js'
import { absolute } from './file-names.js'
import type { FormatContext } from './types.js'

const run = promisify(execFile)

/** Two files of one folder that use the same version, found while a format collects its files. */
export interface DuplicateVersion {
  /** The version as the file names write it. */
  version: string
  /** The two entries (relative to the folder), in the format's order. */
  first: string
  second: string
  /** What the tool does with the pair, for the message. */
  consequence: string
  /** How many digits the version has in the file names (a new version keeps the padding). */
  width: number
  /** The name `entry` gets with `version` instead of its own. */
  renamed(entry: string, version: string): string
  /** Extra words after the entry in the fix, e.g. golang-migrate's "(and its .down file)". */
  companion?: string
}

/** Why one file of a pair counts as the newer one, for the fix text. */
type Newer = { entry: string; because: string }

/**
 * One DUPLICATE_VERSION error per pair, each proposing to renumber the NEWER file (the one least
 * likely to be applied on a shared database already) to a version no other file uses, distinct
 * across pairs. Newer means, in order: not committed in git while the other is; committed later;
 * modified later; else the second in the tool's order.
 *
 * @example
 * await duplicateVersionDiagnostics(context, duplicates, [1n, 21n])
 * // [{ code: 'DUPLICATE_VERSION', fix: 'rename 021_b.sql (not committed yet) to 022_b.sql …' }]
 */
export async function duplicateVersionDiagnostics(
  context: FormatContext,
  duplicates: readonly DuplicateVersion[],
  versions: Iterable<bigint>,
): Promise<Diagnostic[]> {
  if (duplicates.length === 0) return []
  let highest = 0n
  for (const v of versions) if (v > highest) highest = v
  const ages = await gitAges(context.dir, [
    ...new Set(duplicates.flatMap((d) => [d.first, d.second])),
  ])
  const diagnostics: Diagnostic[] = []
  for (const duplicate of duplicates) {
    const { first, second } = duplicate
    const newer = await newerOf(context, first, second, ages)
    const older = newer.entry === first ? second : first
    highest += 1n
    const renamed = duplicate.renamed(
      newer.entry,
      highest.toString().padStart(duplicate.width, '0'),
    )
    const companion = duplicate.companion ? ` ${duplicate.companion}` : ''
    diagnostics.push({
      severity: 'error',
      code: 'DUPLICATE_VERSION',
      message: `version ${duplicate.version} is used by two files, ${first} and ${second}: ${duplicate.consequence}`,
      file: absolute(context, second),
      line: 1,
      related: [{ file: absolute(context, first), line: 1 }],
      fix: `rename ${newer.entry}${companion} to ${renamed}: it is the newer file (${newer.because}); keep ${older}, which shared databases may have applied already`,
    })
  }
  return diagnostics
}

/** What git knows about each entry: `pending` (untracked or changed) or its last commit time. */
type GitAge = 'pending' | number

/**
 * Asks git once for the entries' status and once per entry for its last commit time. Outside a
 * repository, or without git, the map is empty and file times decide.
 */
async function gitAges(dir: string, entries: string[]): Promise<Map<string, GitAge>> {
  const ages = new Map<string, GitAge>()
  const git = (args: string[]) =>
    run('git', ['-C', dir, ...args], { timeout: 10_000, windowsHide: true })
  try {
    const status = await git(['status', '--porcelain', '--untracked-files=all', '--', ...entries])
    for (const line of status.stdout.split('\n')) {
      const file = line.slice(3).trim()
      const entry = entries.find((e) => file === e || file.endsWith(`/${e}`))
      if (entry) ages.set(entry, 'pending')
    }
    for (const entry of entries) {
      if (ages.has(entry)) continue
      const log = await git(['log', '-1', '--format=%ct', '--', entry])
      const seconds = Number.parseInt(log.stdout.trim(), 10)
      if (Number.isFinite(seconds)) ages.set(entry, seconds)
    }
  } catch {
    // Not a repository or no git: file times decide.
    ages.clear()
  }
  return ages
}

async function newerOf(
  context: FormatContext,
  first: string,
  second: string,
  ages: Map<string, GitAge>,
): Promise<Newer> {
  const [a, b] = [ages.get(first), ages.get(second)]
  if (a === 'pending' && b !== 'pending') return { entry: first, because: 'not committed yet' }
  if (b === 'pending' && a !== 'pending') return { entry: second, because: 'not committed yet' }
  if (typeof a === 'number' && typeof b === 'number' && a !== b) {
    return { entry: a > b ? first : second, because: 'committed later' }
  }
  const [ma, mb] = await Promise.all([first, second].map((e) => modifiedAt(context, e)))
  if (ma! > mb!) return { entry: first, because: 'modified later' }
  if (mb! > ma!) return { entry: second, because: 'modified later' }
  return { entry: second, because: "later in the tool's order" }
}

function modifiedAt(context: FormatContext, entry: string): Promise<number> {
  return stat(absolute(context, entry)).then(
    (s) => s.mtimeMs,
    () => 0,
  )
}
