import type { MigrationSet } from '../types.js'

/** File texts discovery read for a set, by absolute path, until lint takes them. */
const texts = new WeakMap<MigrationSet, ReadonlyMap<string, string>>()

/**
 * Remembers the texts discovery read for `set`, so that lint, which needs the same files for line
 * numbers and suppression comments, does not read them again (and sees exactly the text whose
 * statements it checks, even if a file changes on disk in between).
 */
export function rememberSourceTexts(set: MigrationSet, files: ReadonlyMap<string, string>): void {
  texts.set(set, files)
}

/**
 * The texts discovery read for `set` (absolute path → text), once: the entry is dropped, so they
 * are not kept in memory for the rest of the run. `undefined` for a set discovery did not make (a
 * copy, a set built by hand) or one whose texts were already taken.
 */
export function takeSourceTexts(set: MigrationSet): ReadonlyMap<string, string> | undefined {
  const found = texts.get(set)
  texts.delete(set)
  return found
}
