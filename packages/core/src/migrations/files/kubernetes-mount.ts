import { readlinkSync } from 'node:fs'
import path from 'node:path'

/**
 * The folder Kubernetes' atomic writer keeps a ConfigMap's or Secret's files in:
 * `..<UTC time as 2006_01_02_15_04_05>.<random digits>` (`os.MkdirTemp` with that prefix).
 */
const TIMESTAMP_FOLDER = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/

/**
 * The entries below `dir` that Kubernetes' atomic writer made, when `dir` is a mounted ConfigMap
 * or Secret volume; `[]` otherwise.
 *
 * Such a mount holds the real files in a timestamped folder (`..2024_01_15_10_30_00.123456789/`),
 * a symlink `..data` to that folder, a symlink per key (`00001_init.sql -> ..data/00001_init.sql`)
 * and, for a moment during an update, a second timestamped folder and a `..data_tmp` symlink.
 * Exactly that shape is recognised: `..data` must be a symlink to a timestamped folder; then the
 * entries inside `..data/`, `..data_tmp/` and `..<timestamp>/` are the mount's internals (copies of
 * the top-level files), not files of the migrations folder. A real folder named `..data`, or a
 * timestamped folder without the `..data` symlink, is not recognised.
 *
 * @example
 * atomicWriterEntries('/migrations', ['..data/001_a.sql', '..2024_01_15_10_30_00.1/001_a.sql', '001_a.sql'])
 * // ['..data/001_a.sql', '..2024_01_15_10_30_00.1/001_a.sql'] when ..data -> ..2024_01_15_10_30_00.1
 */
export function atomicWriterEntries(dir: string, entries: readonly string[]): string[] {
  let target: string
  try {
    target = readlinkSync(path.join(dir, '..data'))
  } catch {
    // Missing, or not a symlink (EINVAL): not a Kubernetes volume.
    return []
  }
  if (!TIMESTAMP_FOLDER.test(target)) return []
  return entries.filter((entry) => {
    const slash = entry.indexOf('/')
    if (slash < 0) return false
    const folder = entry.slice(0, slash)
    return folder === '..data' || folder === '..data_tmp' || TIMESTAMP_FOLDER.test(folder)
  })
}
