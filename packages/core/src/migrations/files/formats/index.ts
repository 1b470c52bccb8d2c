import { PgtestbedError } from '../../../errors.js'
import type { MigrationFormat } from '../../types.js'
import { dbmateFormat } from './dbmate.js'
import { drizzleFormat } from './drizzle.js'
import { golangMigrateFormat } from './golang-migrate.js'
import { gooseFormat } from './goose.js'
import { nodePgMigrateFormat } from './node-pg-migrate.js'
import { prismaFormat } from './prisma.js'
import type { FormatModule } from './types.js'

/** Every format module, in detection order (the order of `MIGRATION_FORMATS`). */
export const FORMAT_MODULES: readonly FormatModule[] = [
  gooseFormat,
  golangMigrateFormat,
  prismaFormat,
  drizzleFormat,
  dbmateFormat,
  nodePgMigrateFormat,
]

/**
 * The module that reads `format`.
 *
 * @example
 * getFormatModule('goose').defaultVersionTable // { table: 'goose_db_version' }
 */
export function getFormatModule(format: MigrationFormat): FormatModule {
  const module = FORMAT_MODULES.find((m) => m.format === format)
  if (!module) {
    throw new PgtestbedError('INVALID_OPTIONS', `unknown migration format "${String(format)}"`, {
      fix: `set \`format\` to one of ${FORMAT_MODULES.map((m) => `'${m.format}'`).join(', ')} or 'auto'`,
    })
  }
  return module
}
