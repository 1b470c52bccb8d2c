import type { TestFileContext } from '@pgtestbed/core/worker'
// Loads vitest's types, so that the augmentation below has a module to augment.
import type {} from 'vitest'

/**
 * What the plugin's globalSetup hands to test workers, read with `inject('pgtestbed')`: the
 * server and template details of core's `TestbedInfo` plus the per-file settings (see core's
 * `TestFileContext`). Plain JSON. It holds the server's admin URL, so treat it like a credential.
 *
 * @example
 * import { inject } from 'vitest'
 * const { template, server, migrations } = inject('pgtestbed')
 * console.log(`${migrations} migrations in ${template} on ${server.kind} PostgreSQL ${server.majorVersion}`)
 */
export type PgtestbedContext = TestFileContext

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by `@pgtestbed/vitest`'s globalSetup: see {@link PgtestbedContext}. */
    pgtestbed: PgtestbedContext
  }
}
