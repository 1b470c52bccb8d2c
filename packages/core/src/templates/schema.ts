import type pg from 'pg'
import { displayPath } from '../diagnostics.js'
import { applyMigrations } from '../migrations/database/apply.js'
import { describeMigrator, runMigrator } from '../migrations/migrator/run.js'
import { isMigratorSet, type SchemaSet } from '../migrations/migrator/types.js'
import type { ProgressStep } from '../progress.js'

/** What {@link buildSchema} works with. */
export interface BuildSchemaOptions {
  /** A connection to the build database. */
  client: pg.Client
  /** The build database's URL (what a migrate command gets as DATABASE_URL). */
  url: string
  set: SchemaSet
  /** Progress of the build. */
  step: ProgressStep
}

/**
 * How the schema of a template gets built, the one step that differs between sources: the Up
 * sections of migrations pgtestbed read (with the tool's own version table), or the user's
 * migrate command or function. Returns how many migrations pgtestbed applied (0 for a migrate
 * command or function, which applies its own).
 *
 * @example
 * const applied = await buildSchema({ client, url: buildUrl, set, step })
 */
export async function buildSchema(options: BuildSchemaOptions): Promise<number> {
  const { client, set, step } = options
  if (isMigratorSet(set)) {
    step.update(`running ${describeMigrator(set)}`)
    await runMigrator(client, options.url, set)
    return 0
  }
  const result = await applyMigrations(client, set, {
    onMigration(event) {
      if (event.phase === 'start') {
        step.update(
          `applying ${event.index + 1}/${event.total}: ${displayPath(event.migration.up.file, set.dir)}`,
        )
      }
    },
  })
  return result.applied.length
}
