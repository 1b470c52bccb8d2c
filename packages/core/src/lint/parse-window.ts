import type { MigrationSection, Statement } from '../migrations/types.js'
import { parseStatements, type ParseOutcome } from './parser.js'

/**
 * SQL text per parser call. Each call has a fixed cost, so statements are parsed many at a time;
 * but the parse trees of a chunk should die young (kept for the whole run, 1,000 migrations'
 * trees reach the old generation and cost full garbage collections), and one statement the parser
 * rejects makes {@link parseStatements} split its chunk, so a smaller chunk re-parses less.
 */
const PARSE_CHUNK_CHARS = 32 * 1024

/**
 * Parses the statements of a lint walk just ahead of it: the first request parses the next chunk
 * of statements in walk order, and the outcomes of the chunk before are dropped, so only about one
 * chunk of parse trees is alive at a time. Results equal {@link parseStatements} on every
 * statement; a statement asked for out of walk order is parsed on its own.
 *
 * @example
 * const window = new ParseWindow([migration.up, migration.down])
 * for (const statement of migration.up.statements) window.outcome(statement)
 */
export class ParseWindow {
  private readonly order: Statement[]
  /** Index in `order` of the first statement not parsed yet. */
  private next = 0
  private chunk = new Map<Statement, ParseOutcome>()

  constructor(sections: readonly MigrationSection[]) {
    this.order = sections.flatMap((section) => section.statements)
  }

  /** The parse outcome of `statement`. */
  outcome(statement: Statement): ParseOutcome {
    const found = this.chunk.get(statement)
    if (found) return found
    if (this.order[this.next] === statement) {
      this.parseNextChunk()
      const parsed = this.chunk.get(statement)
      if (parsed) return parsed
    }
    return parseStatements([statement.sql])[0]!
  }

  private parseNextChunk(): void {
    const batch: Statement[] = []
    let size = 0
    while (this.next < this.order.length && (batch.length === 0 || size < PARSE_CHUNK_CHARS)) {
      const statement = this.order[this.next++]!
      batch.push(statement)
      size += statement.sql.length
    }
    const outcomes = parseStatements(batch.map((s) => s.sql))
    this.chunk = new Map(batch.map((statement, i) => [statement, outcomes[i]!]))
  }
}
