import { readFile } from 'node:fs/promises'
import type pg from 'pg'
import { PgtestbedError } from '../errors.js'
import { loadParser, parseStatementSql } from '../lint/parser.js'
import { tagOf } from '../lint/ast.js'
import { describePgError, sqlState } from '../templates/sql.js'

/**
 * Statements of a dump that do not shape the schema inside the database and cannot run in the
 * scratch database (`pg_dump -C` creates and configures the database itself).
 */
const SKIPPED = new Set(['CreatedbStmt', 'AlterDatabaseStmt', 'AlterDatabaseSetStmt'])

/**
 * The dump's text with what only psql understands blanked out, line numbers kept: meta-commands
 * (`\restrict`, `\connect`, `\set`) and the data lines of `COPY … FROM stdin` blocks (data is not
 * schema; the COPY statement itself goes too).
 */
export function sqlOfDump(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  let inCopy = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (inCopy) {
      if (line === '\\.') inCopy = false
      lines[i] = ''
    } else if (/^COPY\s.*\bFROM\s+stdin\b.*;\s*$/i.test(line)) {
      inCopy = true
      lines[i] = ''
    } else if (line.startsWith('\\')) {
      lines[i] = ''
    }
  }
  return lines.join('\n')
}

function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

/**
 * Loads a schema dump (`pg_dump --schema-only` output, dbmate's `db/schema.sql`) into the
 * connected (empty) database, statement by statement in one transaction. A `SET` of a setting
 * this server does not have (a dump from a newer `pg_dump`) is skipped.
 *
 * @example
 * await loadSchemaFile(client, 'db/schema.sql', 'db/schema.sql')
 * @throws PgtestbedError DIFF_FILE_FAILED with the file, the line and PostgreSQL's error.
 */
export async function loadSchemaFile(
  client: pg.Client,
  file: string,
  shown: string,
): Promise<void> {
  let text: string
  try {
    text = sqlOfDump(await readFile(file, 'utf8'))
  } catch (error) {
    throw new PgtestbedError(
      'DIFF_FILE_FAILED',
      `cannot read the schema file ${shown}: ${(error as Error).message}`,
      {
        cause: error,
        fix: 'Check the path given with --file (relative to the working folder) or drift.file (relative to the config file).',
      },
    )
  }
  await loadParser()
  const parsed = parseStatementSql(text)
  if (!parsed.ok) {
    const at = parsed.offset === undefined ? '' : `:${lineAt(text, parsed.offset)}`
    throw new PgtestbedError(
      'DIFF_FILE_FAILED',
      `${shown}${at} is not valid SQL: ${parsed.message}`,
      {
        fix: 'Give a plain-text dump: pg_dump --schema-only --no-owner --no-privileges (or dbmate dump).',
      },
    )
  }
  const settings = new Set(
    (await client.query<{ name: string }>('SELECT name FROM pg_settings')).rows.map((r) => r.name),
  )
  await client.query('BEGIN')
  try {
    for (const command of parsed.commands) {
      const tag = tagOf(command.node)
      if (SKIPPED.has(tag)) continue
      const set = (command.node as { VariableSetStmt?: { name?: string } }).VariableSetStmt
      if (set?.name && !settings.has(set.name.toLowerCase()) && !set.name.includes('.')) continue
      const sql = text.slice(command.start, command.end)
      try {
        await client.query(sql)
      } catch (error) {
        const position = Number((error as { position?: string }).position)
        const offset =
          command.start + (Number.isFinite(position) && position > 0 ? position - 1 : 0)
        throw new PgtestbedError(
          'DIFF_FILE_FAILED',
          `loading ${shown} failed at line ${lineAt(text, offset)}: ${describePgError(error)}\n  ${sql.trim().split('\n')[0]}`,
          { cause: error, fix: fixFor(error) },
        )
      }
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

function fixFor(error: unknown): string {
  if (sqlState(error) === '42704' && /role/.test((error as Error).message)) {
    return 'The dump names roles this server does not have: dump with --no-owner --no-privileges (dbmate does).'
  }
  return 'The dump must load into an empty database on the test server: dump with pg_dump --schema-only --no-owner --no-privileges, from the same PostgreSQL major version.'
}
