import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectKeyFor } from '@pgtestbed/core'
import { afterEach } from 'vitest'
import { copyFixture, dropProjectDatabases, type FixtureProject, type Lane } from './helpers.js'

/**
 * Per-test resources, released after each test whatever happened (registered with `afterEach`
 * of the calling test file).
 */
export function useCleanups() {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return {
    /** Runs `fn` after the current test. */
    defer(fn: () => Promise<void> | void): void {
      cleanups.push(fn)
    },
    /**
     * A fresh copy of a fixture; after the test, its databases (for each migrations folder
     * given, relative to the copy) are dropped and the copy removed.
     */
    fixture(name: string, lane: Lane = 'v4', migrations: readonly string[] = ['migrations']) {
      const project: FixtureProject = copyFixture(name, lane)
      cleanups.push(() => project.remove())
      for (const folder of migrations) {
        const key = projectKeyFor(project.file(folder))
        cleanups.push(() => dropProjectDatabases(key))
      }
      return project
    },
    /** A temp folder the fixture's tests write reports into. */
    reportDir(): string {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-vitest-e2e-out-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      return dir
    },
  }
}
