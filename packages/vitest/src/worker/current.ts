/** Something holding connections to the file's database that must be closed before the drop. */
export interface Closable {
  close(): Promise<void>
}

/** The current test file's database, as the `db` fixture sees it. */
export interface FileDatabase {
  readonly name: string
  readonly url: string
  /** The test file, relative to its project's root. */
  readonly label: string
  /** Pools the fixtures opened; closed before the database is dropped. */
  readonly closables: Set<Closable>
}

// On globalThis: the setup file and the test entry may be separate module copies.
const CURRENT = Symbol.for('pgtestbed.vitest.file.v1')

/** The database of the test file running in this worker, if the plugin's setup file made one. */
export function currentFileDatabase(): FileDatabase | undefined {
  return (globalThis as Record<symbol, FileDatabase | undefined>)[CURRENT]
}

/** Sets (or clears) the current test file's database. */
export function setCurrentFileDatabase(file: FileDatabase | undefined): void {
  ;(globalThis as Record<symbol, FileDatabase | undefined>)[CURRENT] = file
}

/**
 * The `application_name` sessions of a test file get: `vitest <file>`, cut to the 63 bytes
 * PostgreSQL keeps.
 */
export function applicationName(label: string): string {
  return Buffer.from(`vitest ${label}`)
    .subarray(0, 63)
    .toString()
    .replace(/\uFFFD$/, '')
}
