import type { CommandContext, Finding } from '../context.js'
import { checkColumns } from './columns.js'
import { checkDrops } from './drop.js'
import { checkEnums } from './enums.js'
import { checkIndexes } from './indexes.js'
import { checkLocks } from './locks.js'

/** A check run on every command of an Up section, in apply order. */
export type CommandRule = (context: CommandContext) => Finding[]

/** Every command check. Order only affects the order of findings on one command. */
export const UP_RULES: readonly CommandRule[] = [
  checkIndexes,
  checkEnums,
  checkColumns,
  checkDrops,
  checkLocks,
]

/** Checks that also apply to Down sections: only what fails on the server when rolling back. */
export const DOWN_RULES: readonly CommandRule[] = [
  (context) => checkIndexes(context).filter((f) => f.code === 'LINT_CANNOT_RUN_IN_TRANSACTION'),
]
