import type pg from 'pg'
import { isPgtestbedError, PgtestbedError } from '../../../errors.js'
import type { MigrationFormat, MigrationSet } from '../../types.js'
import { dbmateVersionTable } from './dbmate.js'
import { drizzleVersionTable } from './drizzle.js'
import { golangMigrateVersionTable } from './golang-migrate.js'
import { gooseVersionTable } from './goose.js'
import { nodePgMigrateVersionTable } from './node-pg-migrate.js'
import { prismaVersionTable } from './prisma.js'
import type { VersionState, VersionTableDriver } from './types.js'

const DRIVERS: Record<MigrationFormat, VersionTableDriver> = {
  goose: gooseVersionTable,
  'golang-migrate': golangMigrateVersionTable,
  dbmate: dbmateVersionTable,
  drizzle: drizzleVersionTable,
  prisma: prismaVersionTable,
  'node-pg-migrate': nodePgMigrateVersionTable,
}

/** The version-table driver of a migration tool. */
export function versionTableDriver(format: MigrationFormat): VersionTableDriver {
  return DRIVERS[format]
}

/**
 * Reads the set's version table. With `create`, a missing table is created first (exactly as the
 * tool creates it) and its rows are known without reading it again; without, a missing table
 * reads as empty and nothing is written.
 */
export async function loadVersionState(
  client: pg.ClientBase,
  set: MigrationSet,
  options: { create: boolean },
): Promise<VersionState> {
  const driver = versionTableDriver(set.format)
  const location = await driver.locate(client, set)
  if (location.columns !== null) return { location, rows: await driver.read(client, location) }
  if (!options.create) return { location, rows: [] }
  try {
    const created = await driver.create(client, location, set)
    return {
      location: { ...location, schemaExists: true, columns: new Set(created.columns) },
      rows: created.rows,
    }
  } catch (error) {
    // A refusal worded by the driver (Prisma's "the database schema is not empty") stands as it is.
    if (isPgtestbedError(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new PgtestbedError(
      'APPLY_FAILED',
      `failed to create the ${set.format} version table ${location.display}: ${reason}`,
      {
        cause: error,
        fix: location.schemaExists
          ? `check that the role may create tables in ${location.schema ?? 'the current schema'}`
          : `create schema ${location.schema ?? ''} first (${set.format} does not create it), or configure another schema`,
      },
    )
  }
}

export type { VersionTableDriver, VersionState } from './types.js'
