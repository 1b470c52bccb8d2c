import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * The run folder: where test workers leave notes for the runner's main process about the
 * databases they made. One small JSON file per database and state, so concurrent workers never
 * write the same file. Notes may hold admin URLs with a password: the folder is 0700, each note
 * 0600, and the folder goes when the run ends.
 */

/** A database a test file kept because one of its tests failed. */
export interface KeptDatabase {
  /** The test file, relative to its project's root. */
  file: string
  /** The runner's project name (`''` when unnamed). */
  project: string
  name: string
  /** Its URL with the password masked (as printed). */
  url: string
}

/** A database a test file is using; the note goes away when the file drops or keeps it. */
export interface OpenDatabase {
  file: string
  project: string
  name: string
  /** What `attachClone` needs to finish it from another process. */
  adminUrl: string
  template: string
  /** The worker process that cloned it. */
  pid: number
}

const RUN_DIR_NAME = /^pgtestbed-run-(\d+)-/

/** True when the process `pid` still runs (on this machine). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Creates the run folder, `<tmp>/pgtestbed-run-<pid>-<random>` (0700). First removes the folders
 * of runs whose process is gone (killed before its teardown): the databases they noted are
 * dropped by pgtestbed's start-up sweep, which finds them by their own records.
 *
 * @example
 * const runDir = createRunDir() // hand it to workers; removeRunDir(runDir) when the run ends
 */
export function createRunDir(): string {
  const tmp = os.tmpdir()
  for (const name of readdirSync(tmp)) {
    const pid = RUN_DIR_NAME.exec(name)?.[1]
    if (pid === undefined || Number(pid) === process.pid || isProcessAlive(Number(pid))) continue
    try {
      rmSync(path.join(tmp, name), { recursive: true, force: true })
    } catch {
      // Another user's folder: not ours to remove.
    }
  }
  const dir = mkdtempSync(path.join(tmp, `pgtestbed-run-${process.pid}-`))
  chmodSync(dir, 0o700)
  return dir
}

function write(runDir: string, kind: 'open' | 'kept', name: string, note: object): void {
  writeFileSync(path.join(runDir, `${kind}-${name}.json`), JSON.stringify(note), { mode: 0o600 })
}

function read<T>(runDir: string, kind: 'open' | 'kept'): T[] {
  let names: string[]
  try {
    names = readdirSync(runDir).filter((n) => n.startsWith(`${kind}-`) && n.endsWith('.json'))
  } catch {
    return []
  }
  const notes: T[] = []
  for (const name of names.sort()) {
    try {
      notes.push(JSON.parse(readFileSync(path.join(runDir, name), 'utf8')) as T)
    } catch {
      // A note being written right now: it is read again later.
    }
  }
  return notes
}

/** Notes a database a test file is about to use. */
export function noteOpenDatabase(runDir: string, open: OpenDatabase): void {
  write(runDir, 'open', open.name, open)
}

/** Removes the note of a database that was dropped or kept. */
export function forgetOpenDatabase(runDir: string, name: string): void {
  rmSync(path.join(runDir, `open-${name}.json`), { force: true })
}

/** Databases whose test file has not dropped or kept them (yet). */
export function readOpenDatabases(runDir: string): OpenDatabase[] {
  return read<OpenDatabase>(runDir, 'open')
}

/** Notes a kept database (for the end-of-run list). */
export function noteKeptDatabase(runDir: string, kept: KeptDatabase): void {
  write(runDir, 'kept', kept.name, kept)
}

/** The databases kept so far in this run. */
export function readKeptDatabases(runDir: string): KeptDatabase[] {
  return read<KeptDatabase>(runDir, 'kept')
}

/** Removes the run folder. */
export function removeRunDir(runDir: string): void {
  rmSync(runDir, { recursive: true, force: true })
}
