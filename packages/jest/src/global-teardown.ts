import { rmSync } from 'node:fs'
import { createConsoleReporter, isPgtestbedError, serverStopCommand } from '@pgtestbed/core'
import { forGlobalSetup } from './errors.js'
import { embeddedCacheDirs, openTestbeds } from './prepare.js'
import { keptDatabases, payloadVariable, state } from './state.js'

/** The part of Jest's global config globalTeardown reads. */
interface JestGlobalConfig {
  watch?: boolean
  watchAll?: boolean
}

/**
 * Jest `globalTeardown`: releases the server and the clone pool after the run. In watch mode it
 * does nothing (the next run reuses them; they are released when the process exits). When a
 * failed test file's database was kept on an embedded server, the server is left running so the
 * printed URL works, and the command that stops it is printed; the next run stops it too.
 *
 * @example
 * // jest.config.js (the preset sets this for you)
 * module.exports = { globalTeardown: '@pgtestbed/jest/global-teardown' }
 */
export default async function globalTeardown(globalConfig: JestGlobalConfig): Promise<void> {
  if (globalConfig.watch || globalConfig.watchAll) return
  const current = state()
  const kept = keptDatabases(current.keptDir)
  const testbeds = await openTestbeds()
  const cacheDirs = await embeddedCacheDirs()
  const failures: unknown[] = []
  for (const testbed of testbeds) {
    try {
      await testbed.close(kept.length > 0 ? { keepServer: true } : {})
    } catch (error) {
      failures.push(error)
    }
  }
  for (const key of current.entries.keys()) delete process.env[payloadVariable(key)]
  current.entries.clear()
  if (current.keptDir) rmSync(current.keptDir, { recursive: true, force: true })
  current.keptDir = undefined
  if (kept.length > 0 && cacheDirs.length > 0) {
    const one = kept.length === 1
    createConsoleReporter().info(
      `the embedded server stays up so the URL${one ? '' : 's'} of ${kept.length} kept database${one ? '' : 's'} work${one ? 's' : ''}; the next test run stops it, or stop it now with:\n${cacheDirs.map((dir) => `  ${serverStopCommand(dir)}`).join('\n')}`,
    )
  }
  const first = failures[0]
  if (first !== undefined) throw isPgtestbedError(first) ? forGlobalSetup(first) : first
}
