import picomatch from 'picomatch'

/**
 * A test for "one of these globs names this entry of the migrations folder": the entry itself or
 * a folder above it matches (`archive` and `archive/**` both cover `archive/2019/001.sql`). Globs
 * are relative to the folder; a leading `./` and trailing `/` are ignored.
 *
 * @example
 * const covered = folderGlobs(['archive', '*.md'])
 * covered('archive/2019/001.sql') // true
 * covered('00001_init.sql')       // false
 */
export function folderGlobs(globs: readonly string[]): (entry: string) => boolean {
  if (globs.length === 0) return () => false
  const matches = picomatch(
    globs.map((g) => g.replace(/^\.\//, '').replace(/\/+$/, '')),
    { dot: true },
  )
  return (entry) => {
    const parts = entry.split('/')
    return parts.some((_, i) => matches(parts.slice(0, i + 1).join('/')))
  }
}
