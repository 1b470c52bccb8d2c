import type { TestbedInfo } from '@pgtestbed/core'
// Loads vitest's types, so that the augmentation below has a module to augment.
import type {} from 'vitest'

/**
 * What the plugin's globalSetup hands to test workers, read with `inject('pgtestbed')`: the
 * server and template details of core's `TestbedInfo` plus the plugin's per-file settings. Plain
 * JSON. It holds the server's admin URL, so treat it like a credential.
 *
 * @example
 * import { inject } from 'vitest'
 * const { template, server, migrations } = inject('pgtestbed')
 * console.log(`${migrations} migrations in ${template} on ${server.kind} PostgreSQL ${server.majorVersion}`)
 */
export interface PgtestbedContext extends TestbedInfo {
  /** The Vitest project's root folder; test files are named relative to it. */
  root: string
  /** The Vitest project's name (`''` for an unnamed project). */
  projectName: string
  /** The environment variable every test file's database URL is put in. */
  envVar: string
  /** Keep the database of a file with a failed test (and print its URL) instead of dropping it. */
  keepOnFailure: boolean
  /** A folder of this run where workers note the databases they kept, for the end-of-run summary. */
  runDir: string
  /**
   * Set in watch mode when the testbed could not start or the migrations became invalid after an
   * edit: every test file then fails with this error until it is fixed (the other fields may be
   * missing meanwhile). Absent otherwise.
   */
  error?: { code: string; message: string }
}

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by `@pgtestbed/vitest`'s globalSetup: see {@link PgtestbedContext}. */
    pgtestbed: PgtestbedContext
  }
}
