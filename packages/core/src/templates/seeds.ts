import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import fg from 'fast-glob'
import { PgtestbedError } from '../errors.js'
import type { Queryable } from './admin.js'
import { displayPath } from '../diagnostics.js'
import {
  postgresErrorFields,
  showStatement,
  type PostgresErrorFields,
  type StatementPlace,
} from '../migrations/database/apply-errors.js'
import {
  splitSqlCommands,
  transactionControl,
  type SqlCommand,
} from '../migrations/files/non-transactional.js'
import { describePgError } from './sql.js'

/** One seed file: SQL run into the template after the migrations. */
export interface SeedFile {
  /** Absolute path. */
  file: string
  /** The file's text. */
  content: string
}

/**
 * Resolves seed files and globs (relative to `cwd`) to files, in the order given (each glob's
 * matches sorted by path), without duplicates. A pattern that matches nothing is an error: a seed
 * the user declared but pgtestbed silently skipped would be a quiet failure.
 *
 * @example
 * await resolveSeeds(['seeds/base.sql', 'seeds/fixtures/*.sql'], process.cwd())
 * @throws PgtestbedError INVALID_OPTIONS when a pattern matches no file.
 */
export async function resolveSeeds(
  patterns: string | readonly string[] | undefined,
  cwd: string,
): Promise<SeedFile[]> {
  const list = typeof patterns === 'string' ? [patterns] : (patterns ?? [])
  const files: string[] = []
  for (const pattern of list) {
    const existing = fg.isDynamicPattern(pattern)
      ? await fg(pattern, { cwd, absolute: true, onlyFiles: true, dot: true })
      : await stat(path.resolve(cwd, pattern)).then(
          (info) => (info.isFile() ? [path.resolve(cwd, pattern)] : []),
          () => [],
        )
    if (existing.length === 0) {
      throw new PgtestbedError(
        'INVALID_OPTIONS',
        `seed "${pattern}" matches no file (resolved against ${cwd})`,
        { fix: 'Fix the path in the `seeds` option, or remove it.' },
      )
    }
    for (const file of existing.map((f) => path.normalize(f)).sort()) {
      if (!files.includes(file)) files.push(file)
    }
  }
  return Promise.all(files.map(async (file) => ({ file, content: await readFile(file, 'utf8') })))
}

/** The 1-based line of a 1-based character `position` in `text`. */
function lineAt(text: string, position: number): number {
  let line = 1
  for (let i = 0; i < position - 1 && i < text.length; i++) if (text[i] === '\n') line++
  return line
}

/**
 * Runs each seed file as one simple-protocol query (an implicit transaction per file).
 *
 * @throws PgtestbedError TEMPLATE_BUILD_FAILED naming the file, the failing statement and its
 *   line, PostgreSQL's error, and the fix (a stale seed is named as such).
 */
export async function applySeeds(
  client: Queryable,
  seeds: readonly SeedFile[],
  databaseName: string,
): Promise<void> {
  for (const seed of seeds) {
    try {
      await client.query(seed.content)
    } catch (error) {
      const failure = await locateFailure(client, seed.content, error)
      throw seedError(seed, databaseName, failure)
    }
  }
}

/** The failing statement of a seed file and PostgreSQL's report about it. */
interface SeedFailure {
  error: unknown
  postgres: PostgresErrorFields
  /** 1-based number of the statement in the file, when it could be told. */
  number?: number
  command?: SqlCommand
  place: StatementPlace
}

/**
 * Finds the statement that failed: from PostgreSQL's error position when it gave one, else by
 * running the statements one by one in a transaction that is rolled back (never for a seed that
 * manages transactions itself, which a re-run could commit).
 */
async function locateFailure(client: Queryable, sql: string, error: unknown): Promise<SeedFailure> {
  const commands = splitSqlCommands(sql)
  const postgres = postgresErrorFields(error)
  if (postgres.position !== undefined) {
    const offset = utf16Offset(sql, postgres.position - 1)
    const index = commands.findIndex((c) => offset >= c.start && offset < c.end)
    return failureAt(sql, commands, index, error, postgres, offset)
  }
  if (commands.some((c) => transactionControl(c.tokens) !== null)) {
    return { error, postgres, place: {} }
  }
  await client.query('BEGIN')
  try {
    for (const [index, command] of commands.entries()) {
      try {
        await client.query(sql.slice(command.start, command.end))
      } catch (again) {
        const fields = postgresErrorFields(again)
        const at =
          fields.position === undefined
            ? undefined
            : command.start + utf16Offset(sql.slice(command.start), fields.position - 1)
        return failureAt(sql, commands, index, again, fields, at)
      }
    }
  } finally {
    await client.query('ROLLBACK').catch(() => {})
  }
  return { error, postgres, place: {} }
}

function failureAt(
  sql: string,
  commands: readonly SqlCommand[],
  index: number,
  error: unknown,
  postgres: PostgresErrorFields,
  offset: number | undefined,
): SeedFailure {
  const command = commands[index]
  if (!command) return { error, postgres, place: {} }
  const errorLine = offset === undefined ? undefined : lineAt(sql, offset + 1)
  return {
    error,
    postgres,
    number: index + 1,
    command,
    place: { statementLine: command.lineOffset + 1, ...(errorLine ? { errorLine } : {}) },
  }
}

/** The UTF-16 index of the `codePoints`-th character (PostgreSQL counts characters). */
function utf16Offset(text: string, codePoints: number): number {
  let index = 0
  for (let n = 0; n < codePoints && index < text.length; n++) {
    index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1
  }
  return index
}

/** SQLSTATEs of a statement naming something the schema does not have. */
const STALE = new Set(['42P01', '42703', '42883', '42704', '3F000'])

function seedError(seed: SeedFile, databaseName: string, f: SeedFailure): PgtestbedError {
  const file = displayPath(seed.file)
  const line = f.place.errorLine ?? f.place.statementLine
  const pg = f.postgres
  const statement =
    f.number === undefined ? '' : `statement ${f.number} (line ${f.place.statementLine}) failed: `
  const lines = [
    `seed file ${file}${line === undefined ? '' : `:${line}`} failed while building template database "${databaseName}": ${statement}${describePgError(f.error)}`,
  ]
  if (pg.detail) lines.push(`    detail: ${pg.detail}`)
  if (pg.hint) lines.push(`    hint: ${pg.hint}`)
  if (f.command) {
    lines.push(
      `  statement ${f.number}:`,
      ...showStatement(seed.content.slice(f.command.start, f.command.end), f.place),
    )
  }
  const which =
    f.number === undefined
      ? file
      : `statement ${f.number} (line ${f.place.statementLine}) of ${file}`
  const fix = STALE.has(pg.code ?? '')
    ? `the seed names something the migrations no longer create (a stale seed): update ${which} to the schema the migrations build; the template is not created until every seed runs`
    : `fix ${which}; the template is not created until every seed runs`
  return new PgtestbedError('TEMPLATE_BUILD_FAILED', lines.join('\n'), { cause: f.error, fix })
}
