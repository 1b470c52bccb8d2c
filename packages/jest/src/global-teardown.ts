import { isPgtestbedError } from '@pgtestbed/core'
import { forGlobalSetup } from './errors.js'
import { payloadVariable, state } from './state.js'

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
  try {
    await current.registry.closeRun()
  } catch (error) {
    throw isPgtestbedError(error) ? forGlobalSetup(error) : error
  } finally {
    for (const key of current.entries.keys()) delete process.env[payloadVariable(key)]
    current.entries.clear()
    current.registry.endRun()
  }
}
