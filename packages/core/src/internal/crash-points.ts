/**
 * Named points where pgtestbed's own kill tests make the process die with SIGKILL, to prove that a
 * crash anywhere between creating a database and finishing with it leaves nothing that no later
 * run or `pgtestbed gc` can remove. Set `PGTESTBED_CRASH_AT=<point>` (or `<point>:<kind>` to hit
 * only databases of one kind, e.g. `after-create:build`). Unset (always, outside those tests),
 * a crash point costs one environment lookup.
 * @module
 */

/** Where a process can be made to crash. */
export type CrashPoint =
  /** `CREATE DATABASE` returned; the ownership record is not written yet. */
  | 'after-create'
  /** The record is written; the database still carries its creation marker. */
  | 'after-record'
  /** A build applied every migration; the template is not sealed yet. */
  | 'before-seal'
  /** The build database is sealed (template, complete record); not renamed yet. */
  | 'after-seal'
  /** The template is under its final name; the build lock is still held. */
  | 'after-rename'
  /** A pool database was claimed (renamed into a clone); not handed to the test yet. */
  | 'after-claim'

/** The environment variable the kill tests set. */
const CRASH_AT_VARIABLE = 'PGTESTBED_CRASH_AT'

/**
 * Kills this process with SIGKILL when `PGTESTBED_CRASH_AT` names this point (and kind).
 *
 * @example
 * crashPoint('after-create', 'clone')
 */
export function crashPoint(point: CrashPoint, kind?: string): void {
  const wanted = process.env[CRASH_AT_VARIABLE]
  if (!wanted) return
  if (wanted === point || (kind !== undefined && wanted === `${point}:${kind}`)) {
    process.kill(process.pid, 'SIGKILL')
  }
}
