// `node --test --import @pgtestbed/node-test`: loaded first in every test file's process (node
// --test passes `--import` to each one), before the file's own imports, so code that reads
// DATABASE_URL at import time sees the file's own database.
import { formatError, noTestDatabase, openTestFile, type TestFile } from '@pgtestbed/core/worker'
import { afterEach } from 'node:test'
import { CONTEXT_VAR, openTestbed, type OpenedTestbed } from './testbed.js'

/** The test file this process runs (`node --test` runs each one as `node <file>`). */
const testPath = process.argv[1]

/**
 * The context the global setup published; without it (Node before 24, or no
 * `--test-global-setup`) this process opens the testbed itself: the template is built once and
 * reused by the other files, and an embedded server is shared by them.
 */
async function contextOrOwnTestbed(): Promise<{ file: TestFile; own?: OpenedTestbed }> {
  const published = process.env[CONTEXT_VAR]
  delete process.env[CONTEXT_VAR]
  if (published) {
    return { file: await openTestFile(JSON.parse(published), { runner: 'node', testPath }) }
  }
  const own = await openTestbed(process.cwd(), 'file')
  try {
    return { file: await openTestFile(own.context, { runner: 'node', testPath }), own }
  } catch (error) {
    await own.registry.close(own.entry)
    throw error
  }
}

/**
 * Ends this process before the test file loads: `node --test` shows the file as failed, with
 * core's rendering of the error (code, file, line, fix) above it instead of a stack trace.
 */
function fail(error: unknown): never {
  process.stderr.write(`[pgtestbed] ${formatError(error)}\n`)
  process.exit(1)
}

const isolationNone = process.execArgv.some((arg) =>
  /^--(experimental-)?test-isolation=none$/.test(arg),
)
if (isolationNone) {
  // Every file would run in this one process, with one database and one DATABASE_URL.
  fail(
    noTestDatabase(
      '@pgtestbed/node-test runs with --test-isolation=none',
      'leave --test-isolation at its default (process): each test file then runs in a process of its own, with a database of its own',
    ),
  )
}

// `node --test` itself (given this module through NODE_OPTIONS) runs no test file.
if (!process.execArgv.includes('--test')) {
  const { file, own } = await contextOrOwnTestbed().catch(fail)
  let failed = false
  // Runs after every test, nested ones too: the file failed when one of them did.
  afterEach((t) => {
    // `passed` is in Node 20.12+; @types/node 20 does not declare it yet.
    if ((t as { passed?: boolean }).passed === false) failed = true
  })
  let released = false
  // After the file's tests and its own `after` hooks, once its pools are closed: the database is
  // dropped (or kept on failure) last. The release's own work re-fires the event; once is enough.
  process.on('beforeExit', async () => {
    if (released) return
    released = true
    await file.release(failed)
    if (own) {
      const kept = failed && own.context.keepOnFailure
      await own.registry.close(own.entry, { keepServer: kept })
    }
  })
}
