// `node --test --test-global-setup=@pgtestbed/node-test/global-setup` (Node 24+): the main
// process opens the testbed once for the run, hands it to every test file's process and, after
// the last file, drops what a crashed file left, lists the kept databases and closes the testbed.
import { formatError } from '@pgtestbed/core/runner'
import { isPgtestbedError } from '@pgtestbed/core'
import { CONTEXT_VAR, openTestbed, type OpenedTestbed } from './testbed.js'

let run: { opened: OpenedTestbed; shellUrl: string | undefined } | undefined

/**
 * Opens the testbed and publishes it in the environment the test files' processes inherit. An
 * error stops the run before any test, printed with its code, file, line and fix.
 */
export async function globalSetup(): Promise<void> {
  let opened: OpenedTestbed
  try {
    opened = await openTestbed(process.cwd(), 'run')
  } catch (error) {
    // Node prints the error's stack: it gets core's rendering and no frames, which are noise here.
    const clean = new Error(
      `${formatError(error)}\n(no test ran: pgtestbed checks the migrations and prepares the database before any test starts)`,
    )
    clean.name = isPgtestbedError(error) ? `PgtestbedError [${error.code}]` : 'PgtestbedError'
    clean.stack = `${clean.name}: ${clean.message}`
    throw clean
  }
  const envVar = opened.context.envVar
  run = { opened, shellUrl: process.env[envVar] }
  process.env[CONTEXT_VAR] = JSON.stringify(opened.context)
  // A test file that somehow runs without its own database must not use the shell's one.
  delete process.env[envVar]
}

/** After the last test file: the kept-databases list, then the testbed closes. */
export async function globalTeardown(): Promise<void> {
  if (!run) return
  const { opened, shellUrl } = run
  run = undefined
  delete process.env[CONTEXT_VAR]
  if (shellUrl !== undefined) process.env[opened.context.envVar] = shellUrl
  try {
    await opened.registry.closeRun()
  } finally {
    opened.registry.endRun()
  }
}
