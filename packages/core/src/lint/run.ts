import path from 'node:path'
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js'
import { PgtestbedError } from '../errors.js'
import type { Migration, MigrationSection, MigrationSet } from '../migrations/types.js'
import { listName, nodeAs, stringList } from './ast.js'
import { Collector } from './collect.js'
import type { CommandContext, MigrationState, PendingLabel } from './context.js'
import { takeSourceTexts } from '../migrations/files/source-texts.js'
import { ParseWindow } from './parse-window.js'
import { loadParser, PARSER_MAJOR } from './parser.js'
import { DOWN_RULES, UP_RULES } from './rules/index.js'
import { SchemaModel } from './schema.js'
import { resolveLintSettings } from './settings.js'
import { readSources, statementLines, type SourceFile } from './source.js'
import type { LintOptions } from './types.js'

/**
 * Lints every migration with PostgreSQL's own parser (libpg-query) for patterns that work on an
 * empty test database but fail or lock in production: NOT NULL without DEFAULT on an existing
 * table, unsafe enum changes, CREATE INDEX without CONCURRENTLY, CONCURRENTLY inside a
 * transaction, destructive drops, missing lock_timeout, empty Down sections.
 *
 * Up sections are checked with every rule, walking the migrations in apply order with a small
 * schema model, so a table created in the same migration counts as new (empty) and any other as
 * existing. Down sections are checked only for commands that fail on the server when rolling back.
 * Each finding is reported on the file line of the command itself, even when one statement holds
 * several commands. A command is silenced by `-- pgtestbed-lint-ignore LINT_CODE: reason` on its
 * own lines or in the comment lines directly above it.
 *
 * Returns diagnostics (errors and warnings) in apply order; pass them to `throwIfErrors(…,
 * 'LINT_FAILED', …)` to stop on errors.
 *
 * @throws PgtestbedError INVALID_OPTIONS for an unknown rule or setting in `options.rules`;
 *   LINT_FAILED when the parser itself cannot be loaded.
 * @example
 * const set = await discoverMigrations({ migrations: './migrations' })
 * const diagnostics = await lintMigrations(set, { rules: { LINT_LOCK_TIMEOUT_MISSING: 'off' } })
 * throwIfErrors(diagnostics, 'LINT_FAILED', 'unsafe migrations in ./migrations')
 */
export async function lintMigrations(
  set: MigrationSet,
  options: LintOptions = {},
): Promise<Diagnostic[]> {
  const settings = resolveLintSettings(options, set.dir)
  try {
    await loadParser()
  } catch (error) {
    throw new PgtestbedError(
      'LINT_FAILED',
      'could not load the PostgreSQL parser (libpg-query) used by lint',
      {
        cause: error,
        fix: 'reinstall dependencies (the libpg-query package ships a .wasm file), or turn lint off with `lint: false`',
      },
    )
  }
  const sections = set.migrations.flatMap((m) => (m.down ? [m.up, m.down] : [m.up]))
  const sources = readSources(
    sections.map((s) => s.file),
    takeSourceTexts(set),
  )
  const run = new LintRun(set, sources, new Collector(settings, sources), new ParseWindow(sections))
  for (const migration of set.migrations) run.lintMigration(migration)
  run.collector.reportInvalidSuppressions()
  return run.collector.diagnostics
}

const notReported = (): boolean => false

/** Discovery codes for problems lint checks too (lint skips statements that already have one). */
const DISCOVERY_OVERLAP = new Set<DiagnosticCode>([
  'NON_TRANSACTIONAL_IN_TRANSACTION',
  'ENUM_VALUE_IN_TRANSACTION',
])

/** The state of one lint pass over a migration set. */
class LintRun {
  private readonly model = new SchemaModel()
  /** Enum labels added in the transaction that is open at this point of the walk. */
  private pending: PendingLabel[] = []
  /** `<code> <file>` → lines where discovery reported a problem lint also checks. */
  private readonly discoveryLines = new Map<string, number[]>()

  constructor(
    private readonly set: MigrationSet,
    private readonly sources: Map<string, SourceFile | undefined>,
    readonly collector: Collector,
    private readonly parsed: ParseWindow,
  ) {
    for (const d of set.diagnostics) {
      if (!d.file || !DISCOVERY_OVERLAP.has(d.code) || d.line === undefined) continue
      const key = `${d.code} ${d.file}`
      this.discoveryLines.set(key, [...(this.discoveryLines.get(key) ?? []), d.line])
    }
  }

  lintMigration(migration: Migration): void {
    // drizzle-kit and node-pg-migrate's CLI apply every pending migration in ONE transaction; the
    // other tools commit after each migration.
    const oneForAll = migration.format === 'drizzle' || migration.format === 'node-pg-migrate'
    if (!oneForAll) this.pending = []
    this.lintSection(migration, migration.up, 'up')
    if (!oneForAll) this.pending = []
    // No Down section at all is discovery's MISSING_DOWN; an empty one is reported only here.
    if (!migration.down) return
    const commands = this.lintSection(migration, migration.down, 'down')
    if (commands === 0) this.reportEmptyDown(migration, migration.down)
  }

  /** Lints one section; returns how many commands it holds (unparsable statements count as one). */
  private lintSection(
    migration: Migration,
    section: MigrationSection,
    direction: 'up' | 'down',
  ): number {
    const source = this.sources.get(section.file)
    const state: MigrationState = { lockTimeoutSet: false, lockReported: false }
    const rules = direction === 'up' ? UP_RULES : DOWN_RULES
    let count = 0
    for (const statement of section.statements) {
      const lines = statementLines(statement, source)
      const outcome = this.parsed.outcome(statement)
      if (!outcome.ok) {
        count++
        this.collector.add(
          {
            code: 'LINT_PARSE_FAILED',
            message: `PostgreSQL's parser rejects this statement (${outcome.message}): the server will reject it too, so the migration cannot apply`,
            fix: `fix the SQL (is it written for another database?); only if your server accepts syntax newer than PostgreSQL ${PARSER_MAJOR}'s, mark it reviewed: -- pgtestbed-lint-ignore LINT_PARSE_FAILED: <why>`,
          },
          {
            file: section.file,
            line: outcome.offset === undefined ? statement.line : lines.lineAt(outcome.offset),
            from: statement.line,
            to: statement.endLine,
          },
        )
        continue
      }
      count += outcome.commands.length
      // Without a wrapping transaction, each query string commits on its own.
      if (!section.transaction) this.pending = []
      const transaction = section.transaction
        ? 'migration'
        : outcome.commands.length > 1
          ? 'query-string'
          : undefined
      const reportedByDiscovery =
        this.discoveryLines.size === 0
          ? notReported
          : (code: DiagnosticCode) =>
              (this.discoveryLines.get(`${code} ${section.file}`) ?? []).some(
                (l) => l >= statement.line && l <= statement.endLine,
              )
      for (const command of outcome.commands) {
        const from = lines.lineAt(command.start)
        const to = lines.lineAt(Math.max(command.start, command.end - 1))
        // Spelled out, not spread from a per-statement object: this runs for every command, and
        // while lint's code is still cold an object spread costs more than the rules it feeds.
        const commandContext: CommandContext = {
          node: command.node,
          format: migration.format,
          migration,
          section,
          direction,
          model: this.model,
          state,
          pending: this.pending.slice(),
          transaction,
          reportedByDiscovery,
        }
        for (const rule of rules) {
          for (const finding of rule(commandContext)) {
            this.collector.add(finding, { file: section.file, line: from, from, to })
          }
        }
        if (direction === 'up') {
          this.model.apply(command.node, migration.index)
          this.trackAddedLabel(command.node, section.file, from)
        }
      }
      if (!section.transaction) this.pending = []
    }
    return count
  }

  private trackAddedLabel(node: CommandContext['node'], file: string, line: number): void {
    const added = nodeAs(node, 'AlterEnumStmt')
    const type = listName(stringList(added?.typeName))
    if (!added || !type || added.oldVal !== undefined || added.newVal === undefined) return
    this.pending.push({
      type: type.schema ? `${type.schema}.${type.name}` : type.name,
      label: added.newVal,
      where: `${this.relative(file)}:${line}`,
      location: { file, line },
    })
  }

  private reportEmptyDown(migration: Migration, down: MigrationSection): void {
    const source = this.sources.get(down.file)
    const last = source?.lines.length ?? down.line
    const to =
      down.file === migration.up.file && down.line < migration.up.line
        ? migration.up.line - 1
        : last
    this.collector.add(
      {
        code: 'LINT_EMPTY_DOWN',
        message: `the Down section of ${this.relative(down.file)} is empty: rolling back version ${migration.version} records the rollback but undoes nothing`,
        fix: 'write the SQL that undoes the Up section; if it cannot be undone, say so in the Down section: -- pgtestbed-lint-ignore LINT_EMPTY_DOWN: <why>',
      },
      { file: down.file, line: down.line, from: down.line, to },
    )
  }

  private relative(file: string): string {
    return path.relative(this.set.dir, file).split(path.sep).join('/')
  }
}
