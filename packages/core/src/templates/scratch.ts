import { PgtestbedError } from '../errors.js'
import { withAdminClient } from './admin.js'
import { createOwnedDatabase } from './create.js'
import { databaseUrl } from './clone.js'
import { dropDatabase } from './drop.js'
import { DEFAULT_BASE_TEMPLATE } from './fingerprint.js'
import { scratchName } from './naming.js'
import { newRecord } from './ownership.js'
import { describePgError } from './sql.js'

/**
 * The one place pgtestbed creates and drops scratch databases (`pgtestbed_s_…`): throw-away
 * databases for `verifyDown`, and for `pgtestbed diff` and `drift` to build the code's schema
 * (`--command`) or load a dump (`--file`) into. Each carries an ownership record of kind
 * `scratch`, so only pgtestbed's own drop and sweep ever remove it, and a crashed run's
 * leftover is swept like any other.
 * @module
 */

/** Options of {@link createScratchDatabase}. */
export interface ScratchOptions {
  /** Project key for the record (see `projectKeyFor`). */
  project: string
  /** What it is for, stored in the record (`drift: npx drizzle-kit push`). Default: none. */
  label?: string
  /** The database it is created from. Default: `'template0'` (empty). */
  baseTemplate?: string
}

/** A scratch database; dispose it (`await using`) or call `drop()`. */
export interface ScratchDatabase extends AsyncDisposable {
  readonly name: string
  readonly url: string
  /** Drops it (ownership checked); a second call does nothing. */
  drop(): Promise<void>
}

/**
 * Creates an empty scratch database with its ownership record.
 *
 * @example
 * await using scratch = await createScratchDatabase(adminUrl, { project, label: 'drift' })
 * await runCommand({ command: 'npx drizzle-kit push --force', databaseUrl: scratch.url, cwd })
 * @throws PgtestbedError TEMPLATE_BUILD_FAILED when the database cannot be created.
 */
export async function createScratchDatabase(
  adminUrl: string,
  options: ScratchOptions,
): Promise<ScratchDatabase> {
  const name = scratchName()
  const base = options.baseTemplate ?? DEFAULT_BASE_TEMPLATE
  const record = newRecord({
    kind: 'scratch',
    project: options.project,
    ...(options.label === undefined ? {} : { label: options.label }),
  })
  await withAdminClient(adminUrl, async (admin) => {
    try {
      await createOwnedDatabase(admin, { name, template: base, record })
    } catch (error) {
      throw new PgtestbedError(
        'TEMPLATE_BUILD_FAILED',
        `could not create a scratch database: ${describePgError(error)}`,
        { cause: error, fix: 'The role needs CREATEDB (or superuser) on the test server.' },
      )
    }
  })
  let dropped: Promise<void> | undefined
  const drop = () =>
    (dropped ??= withAdminClient(adminUrl, async (admin) => {
      await dropDatabase(admin, name)
    }))
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop,
    [Symbol.asyncDispose]: drop,
  }
}
