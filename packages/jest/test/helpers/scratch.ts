import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'
import { dropDatabasesOf } from './databases.js'
import { copyFixture, type FixtureCopy, type Lane } from './jest-run.js'

/** A fixture copy plus a folder its test files may report into (`E2E_OUT`). */
export interface Scratch {
  copy: FixtureCopy
  out: string
}

/**
 * Registers an afterEach that removes every scratch made by {@link useScratch}'s function: the
 * fixture copy, its report folder and every database of its migrations folders.
 *
 * @example
 * const scratch = useScratch()
 * test('…', async () => { const { copy } = scratch('basic') })
 */
export function useScratch(): (name: string, lane?: Lane, migrations?: string[]) => Scratch {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    // Run every clean-up even when one fails; report the first failure.
    const failures: unknown[] = []
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup()
      } catch (error) {
        failures.push(error)
      }
    }
    if (failures.length > 0) throw failures[0]
  })
  return (name, lane = 30, migrations = ['migrations']) => {
    const copy = copyFixture(name, lane)
    const out = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-jest-e2e-'))
    cleanups.push(
      () => copy.remove(),
      () => rmSync(out, { recursive: true, force: true }),
      async () => {
        for (const dir of migrations) await dropDatabasesOf(path.join(copy.dir, dir))
      },
    )
    return { copy, out }
  }
}
