/**
 * Finds the top-level SQL commands in one statement's text and recognises the ones PostgreSQL
 * refuses to run inside a transaction block (SQLSTATE 25001).
 *
 * This is a cheap pass, not a SQL parser: on the tokens of the shared lexer (`sqlparser/lexer.ts`)
 * it follows parentheses and `BEGIN ATOMIC … END` bodies to find the `;` that end commands and
 * the words that start them. The lint step uses a real parser later.
 */

import { SqlLexer } from './sqlparser/lexer.js'

/** One top-level command found in a statement's text. */
export interface SqlCommand {
  /**
   * The command's significant tokens: unquoted words upper-cased, numbers as written, string
   * literals as `'` + their text, quoted identifiers as `"` + their text, a dollar-quoted body as
   * `$`, and the punctuation `(`, `)`, `,`, `.`, `=`. Comments and whitespace are dropped.
   */
  tokens: string[]
  /** 0-based line of the command's first token, counted from the start of the text. */
  lineOffset: number
  /** Offset of the command's first token in the text. */
  start: number
  /** Offset just past the command: past its `;`, or its last token at the end of the text. */
  end: number
}

/** A command that cannot run inside a transaction block, found by {@link findNonTransactional}. */
interface NonTransactionalCommand {
  /** What the command is, as PostgreSQL's error names it, e.g. `CREATE INDEX CONCURRENTLY`. */
  label: string
  /** 0-based line of the command, counted from the start of the text. */
  lineOffset: number
}

const PUNCTUATION = new Set(['(', ')', ',', '.', '='])

/**
 * Splits `sql` into its top-level commands (what PostgreSQL would run one after another if the
 * text were sent as one simple-protocol query). Comment-only pieces are not commands.
 *
 * @example
 * splitSqlCommands("select 1; -- note\ncreate index concurrently i on t (a);")
 * // [{ tokens: ['SELECT', '1'], lineOffset: 0, start: 0, end: 9 },
 * //  { tokens: ['CREATE', 'INDEX', 'CONCURRENTLY', 'I', 'ON', 'T', '(', 'A', ')'], lineOffset: 1, start: 18, end: 55 }]
 */
export function splitSqlCommands(sql: string): SqlCommand[] {
  const commands: SqlCommand[] = []
  let tokens: string[] = []
  let commandLine = 0
  let commandStart = 0
  let lastEnd = 0
  // Lines are counted lazily, up to the first token of each command.
  let line = 0
  let counted = 0
  let depth = 0
  // Inside a SQL-standard function body (`BEGIN ATOMIC … END`) `;` does not end the command;
  // `CASE … END` pairs inside it must not close the body.
  let atomic = false
  let caseDepth = 0

  const push = (token: string, at: number) => {
    if (tokens.length === 0) {
      for (; counted < at; counted++) if (sql.charCodeAt(counted) === 0x0a) line++
      commandLine = line
      commandStart = at
    }
    tokens.push(token)
  }

  const lexer = new SqlLexer().read(sql)
  while (lexer.next()) {
    const { kind, start, end } = lexer
    if (kind !== 'line-comment' && kind !== 'block-comment') lastEnd = end
    switch (kind) {
      case 'line-comment':
      case 'block-comment':
      case 'parameter':
        break
      case 'string':
      case 'escape-string':
        push(`'${lexer.literal()}`, start)
        break
      case 'quoted-identifier':
        push(`"${lexer.literal()}`, start)
        break
      case 'dollar-quote':
        push('$', start)
        break
      case 'number':
        push(sql.slice(start, end), start)
        break
      case 'word': {
        const word = sql.slice(start, end).toUpperCase()
        if (word === 'ATOMIC' && tokens.length > 1 && tokens[tokens.length - 1] === 'BEGIN') {
          atomic = true
          caseDepth = 0
        } else if (atomic && word === 'CASE') caseDepth++
        else if (atomic && word === 'END') {
          if (caseDepth > 0) caseDepth--
          else atomic = false
        }
        push(word, start)
        break
      }
      case 'symbol': {
        const ch = sql[start] as string
        if (ch === ';') {
          if (depth > 0 || atomic) break
          if (tokens.length > 0) {
            commands.push({ tokens, lineOffset: commandLine, start: commandStart, end })
          }
          tokens = []
        } else if (PUNCTUATION.has(ch)) {
          if (ch === '(') depth++
          else if (ch === ')' && depth > 0) depth--
          push(ch, start)
        }
        break
      }
    }
  }
  if (tokens.length > 0) {
    commands.push({ tokens, lineOffset: commandLine, start: commandStart, end: lastEnd })
  }
  return commands
}

/** True when the option list starting at `tokens[open]` (a `(`) turns `option` on. */
function optionOn(tokens: readonly string[], open: number, option: string): boolean {
  for (let k = open + 1; k < tokens.length && tokens[k] !== ')'; k++) {
    if (tokens[k] !== option) continue
    const value = tokens[k + 1] === '=' ? tokens[k + 2] : tokens[k + 1]
    return !(value === 'FALSE' || value === 'OFF' || value === '0' || value === "'false")
  }
  return false
}

/** Index just after a parenthesised group starting at `open`, or `open` when there is none. */
function skipGroup(tokens: readonly string[], open: number): number {
  if (tokens[open] !== '(') return open
  let depth = 0
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k] === '(') depth++
    else if (tokens[k] === ')' && --depth === 0) return k + 1
  }
  return tokens.length
}

/** `CREATE SUBSCRIPTION` creates a replication slot (and so refuses a transaction) unless told not to. */
function subscriptionCreatesSlot(tokens: readonly string[]): boolean {
  const withAt = tokens.lastIndexOf('WITH')
  if (withAt < 0 || tokens[withAt + 1] !== '(') return true
  const off = (name: string) => {
    const k = tokens.indexOf(name, withAt)
    if (k < 0) return false
    const value = tokens[k + 1] === '=' ? tokens[k + 2] : tokens[k + 1]
    return value === 'FALSE' || value === 'OFF' || value === '0' || value === "'false"
  }
  return !(off('CREATE_SLOT') || off('CONNECT'))
}

/**
 * Names the command when PostgreSQL refuses to run it inside a transaction block (§7.2 of the
 * format reference), or returns `null`.
 *
 * @example
 * classifyCommand(['VACUUM', 'ANALYZE']) // 'VACUUM'
 * classifyCommand(['CREATE', 'INDEX', 'I', 'ON', 'T', '(', 'A', ')']) // null
 */
export function classifyCommand(tokens: readonly string[]): string | null {
  const [first, second, third] = tokens
  switch (first) {
    case 'CREATE': {
      const at = second === 'UNIQUE' ? 2 : 1
      if (tokens[at] === 'INDEX' && tokens[at + 1] === 'CONCURRENTLY') {
        return 'CREATE INDEX CONCURRENTLY'
      }
      if (second === 'DATABASE') return 'CREATE DATABASE'
      if (second === 'TABLESPACE') return 'CREATE TABLESPACE'
      if (second === 'SUBSCRIPTION' && subscriptionCreatesSlot(tokens)) {
        return 'CREATE SUBSCRIPTION'
      }
      return null
    }
    case 'DROP':
      if (second === 'INDEX' && third === 'CONCURRENTLY') return 'DROP INDEX CONCURRENTLY'
      if (second === 'DATABASE') return 'DROP DATABASE'
      if (second === 'TABLESPACE') return 'DROP TABLESPACE'
      if (second === 'SUBSCRIPTION') return 'DROP SUBSCRIPTION'
      return null
    case 'REINDEX': {
      const concurrentOption = second === '(' && optionOn(tokens, 1, 'CONCURRENTLY')
      const at = skipGroup(tokens, 1)
      const kind = tokens[at]
      if (kind === 'SCHEMA' || kind === 'DATABASE' || kind === 'SYSTEM') return `REINDEX ${kind}`
      if (concurrentOption || tokens[at + 1] === 'CONCURRENTLY') return 'REINDEX CONCURRENTLY'
      return null
    }
    case 'VACUUM':
      return 'VACUUM'
    case 'CLUSTER': {
      // CLUSTER [VERBOSE] | CLUSTER (options): with no table it reclusters the whole database.
      let at = skipGroup(tokens, 1)
      if (tokens[at] === 'VERBOSE') at++
      return at >= tokens.length ? 'CLUSTER without a table name' : null
    }
    case 'ALTER':
      if (second === 'SYSTEM') return 'ALTER SYSTEM'
      if (second === 'DATABASE') {
        const set = tokens.indexOf('SET', 2)
        return set > 0 && tokens[set + 1] === 'TABLESPACE' ? 'ALTER DATABASE SET TABLESPACE' : null
      }
      if (second === 'TABLE') {
        const detach = tokens.indexOf('DETACH', 2)
        if (detach > 0 && tokens[detach + 1] === 'PARTITION') {
          let at = detach + 2
          while (at < tokens.length && (tokens[at] === '.' || tokens[at + 1] === '.')) at++
          if (tokens[at + 1] === 'CONCURRENTLY') return 'DETACH PARTITION CONCURRENTLY'
        }
      }
      return null
    case 'DISCARD':
      return second === 'ALL' ? 'DISCARD ALL' : null
    case 'COMMIT':
    case 'ROLLBACK':
      return second === 'PREPARED' ? `${first} PREPARED` : null
    default:
      return null
  }
}

/** How a command changes an explicit transaction: `begin`, `end`, or `null` for neither. */
export function transactionControl(tokens: readonly string[]): 'begin' | 'end' | null {
  const [first, second] = tokens
  if (first === 'BEGIN' || (first === 'START' && second === 'TRANSACTION')) return 'begin'
  if (first === 'COMMIT' || first === 'ROLLBACK') {
    return second === 'PREPARED' || second === 'TO' ? null : 'end'
  }
  if (first === 'END' || first === 'ABORT') return 'end'
  return null
}

/**
 * The result of scanning one statement: how many commands it holds and which of them cannot run
 * inside a transaction block.
 */
export interface NonTransactionalScan {
  /** The statement's top-level commands. */
  commands: SqlCommand[]
  /** The commands that cannot run inside a transaction block, in order. */
  found: NonTransactionalCommand[]
}

/**
 * Scans one statement's text: its commands and the ones that cannot run in a transaction block.
 * A statement with more than one command is itself an implicit transaction on the server (§7.1),
 * so any hit in such a statement fails even when the tool adds no `BEGIN`.
 *
 * @example
 * findNonTransactional('CREATE INDEX CONCURRENTLY i ON t (a);').found
 * // [{ label: 'CREATE INDEX CONCURRENTLY', lineOffset: 0 }]
 */
export function findNonTransactional(sql: string): NonTransactionalScan {
  let commands: SqlCommand[] | undefined
  const found: NonTransactionalCommand[] = []
  // Most statements hold none of these words: skip tokenizing them until someone asks.
  if (MAY_REFUSE_TRANSACTION.test(sql)) {
    commands = splitSqlCommands(sql)
    for (const command of commands) {
      const label = classifyCommand(command.tokens)
      if (label) found.push({ label, lineOffset: command.lineOffset })
    }
  }
  return {
    get commands() {
      commands ??= splitSqlCommands(sql)
      return commands
    },
    found,
  }
}

/** Every word {@link classifyCommand} needs to see before it can flag a command. */
const MAY_REFUSE_TRANSACTION =
  /concurrently|vacuum|cluster|database|tablespace|system|discard|subscription|prepared|reindex/i

/**
 * True when `sql` holds nothing but whitespace and comments (block comments nest).
 *
 * @example
 * isCommentOnly('-- nothing to undo\n') // true
 */
export function isCommentOnly(sql: string): boolean {
  const lexer = new SqlLexer().read(sql)
  while (lexer.next()) {
    if (lexer.kind !== 'line-comment' && lexer.kind !== 'block-comment') return false
  }
  return true
}
