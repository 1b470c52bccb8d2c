import { quoteIdent, quoteLiteral } from '../internal/quote-ident.js'
import { columnsOf } from './compare.js'
import type { Difference, SchemaDiff, SchemaInspection, SchemaObject } from './types.js'

/**
 * Writing the migration someone forgot: the statements that turn the expected schema (what the
 * migrations build) into the actual one (the code's, a live database's), for `pgtestbed diff
 * --sql`. PostgreSQL's own deparsed definitions are reused wherever the catalog has them
 * (`pg_get_indexdef`, `pg_get_functiondef`, `pg_get_triggerdef`, `pg_get_constraintdef`).
 *
 * What cannot be done in place is said in a `-- review:` comment next to the statements
 * (column order, a removed enum value, a changed partition key).
 * @module
 */

/** When a statement must run: drops before creates, what others depend on first. */
const PHASE = {
  dropPolicy: 0,
  dropTrigger: 1,
  dropView: 2,
  dropForeignKey: 3,
  dropConstraint: 4,
  dropIndex: 5,
  dropColumn: 6,
  dropTable: 7,
  dropFunction: 8,
  dropSequence: 9,
  dropType: 10,
  dropExtension: 11,
  dropSchema: 12,
  createSchema: 20,
  extension: 21,
  type: 22,
  sequence: 23,
  function: 24,
  table: 25,
  column: 26,
  ownedBy: 27,
  constraint: 28,
  foreignKey: 29,
  index: 30,
  view: 31,
  trigger: 32,
  policy: 33,
  comment: 34,
} as const

interface Step {
  phase: number
  sql: string
}

const q = (parts: readonly string[]) => parts.map(quoteIdent).join('.')
const table = (o: SchemaObject) => q(o.path.slice(0, 2))
const literalOrNull = (value: string | null) => (value === null ? 'NULL' : quoteLiteral(value))

/** The SQL keyword of an object kind for DROP / COMMENT ON. */
const SQL_KIND: Partial<Record<SchemaObject['kind'], string>> = {
  table: 'TABLE',
  'foreign table': 'FOREIGN TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
  sequence: 'SEQUENCE',
  enum: 'TYPE',
  'composite type': 'TYPE',
  'range type': 'TYPE',
  domain: 'DOMAIN',
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  aggregate: 'AGGREGATE',
  schema: 'SCHEMA',
  extension: 'EXTENSION',
  index: 'INDEX',
}

/** `public.f(integer)` → `"public"."f"(integer)`. */
function routine(o: SchemaObject): string {
  return `${q(o.path)}(${o.details.args ?? ''})`
}

/** The name an object is written with in DROP, COMMENT ON… */
function nameOf(o: SchemaObject): string {
  if (o.kind === 'function' || o.kind === 'procedure' || o.kind === 'aggregate') return routine(o)
  return q(o.path)
}

function comment(o: SchemaObject, value: string | null): Step {
  const text = literalOrNull(value)
  const on = (what: string) => ({ phase: PHASE.comment, sql: `COMMENT ON ${what} IS ${text};` })
  switch (o.kind) {
    case 'column':
      return on(`COLUMN ${q(o.path)}`)
    case 'constraint':
      return on(`CONSTRAINT ${quoteIdent(o.path[2]!)} ON ${table(o)}`)
    case 'trigger':
      return on(`TRIGGER ${quoteIdent(o.path[2]!)} ON ${table(o)}`)
    case 'policy':
      return on(`POLICY ${quoteIdent(o.path[2]!)} ON ${table(o)}`)
    default:
      return on(`${SQL_KIND[o.kind] ?? 'TABLE'} ${nameOf(o)}`)
  }
}

/** ` COLLATE … DEFAULT … NOT NULL` and the like, for a column definition. */
function columnDefinition(c: SchemaObject): string {
  const a = c.attributes
  const parts = [quoteIdent(c.path.at(-1)!), a.type ?? 'text']
  if (a.collation) parts.push(`COLLATE ${a.collation}`)
  if (a.generated) parts.push(`GENERATED ALWAYS AS (${c.details.expression}) STORED`)
  if (a.identity)
    parts.push(`GENERATED ${a.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`)
  if (a.default) parts.push(`DEFAULT ${a.default}`)
  if (a['not null'] === 'true') parts.push('NOT NULL')
  return parts.join(' ')
}

function isForeignKey(o: SchemaObject): boolean {
  return o.details.type === 'f'
}

/** Everything needed to create `o` as the actual side has it, children included. */
function create(o: SchemaObject, actual: SchemaInspection): Step[] {
  const a = o.attributes
  const steps: Step[] = []
  const children = () => [...actual.objects.values()].filter((c) => c.parent === o.key)
  switch (o.kind) {
    case 'schema':
      steps.push({ phase: PHASE.createSchema, sql: `CREATE SCHEMA ${q(o.path)};` })
      break
    case 'extension':
      steps.push({
        phase: PHASE.extension,
        sql: `CREATE EXTENSION IF NOT EXISTS ${q(o.path)} WITH SCHEMA ${quoteIdent(a.schema ?? 'public')};`,
      })
      break
    case 'enum': {
      const labels = JSON.parse(o.details.labels ?? '[]') as string[]
      steps.push({
        phase: PHASE.type,
        sql: `CREATE TYPE ${q(o.path)} AS ENUM (${labels.map(quoteLiteral).join(', ')});`,
      })
      break
    }
    case 'domain': {
      const checks = o.details.checkClauses ? ` ${o.details.checkClauses}` : ''
      steps.push({
        phase: PHASE.type,
        sql: `CREATE DOMAIN ${q(o.path)} AS ${a.type}${a.default ? ` DEFAULT ${a.default}` : ''}${a['not null'] === 'true' ? ' NOT NULL' : ''}${checks};`,
      })
      break
    }
    case 'composite type':
      steps.push({ phase: PHASE.type, sql: `CREATE TYPE ${q(o.path)} AS (${a.fields ?? ''});` })
      break
    case 'range type':
      steps.push({
        phase: PHASE.type,
        sql: `CREATE TYPE ${q(o.path)} AS RANGE (SUBTYPE = ${a.subtype});`,
      })
      break
    case 'sequence':
      steps.push({
        phase: PHASE.sequence,
        sql: `CREATE SEQUENCE ${q(o.path)} AS ${a.type} INCREMENT BY ${a.increment} MINVALUE ${a.min} MAXVALUE ${a.max} START WITH ${a.start} CACHE ${a.cache}${a.cycle === 'true' ? ' CYCLE' : ''};`,
      })
      if (a['owned by']) {
        steps.push({
          phase: PHASE.ownedBy,
          sql: `ALTER SEQUENCE ${q(o.path)} OWNED BY ${a['owned by']};`,
        })
      }
      break
    case 'table':
    case 'foreign table': {
      const columns = columnsOf(o, actual).map(columnDefinition)
      const unlogged = a.persistence === 'unlogged' ? 'UNLOGGED ' : ''
      let sql: string
      if (a['partition of']) {
        const [parent, ...bound] = a['partition of'].split(' ')
        sql = `CREATE TABLE ${q(o.path)} PARTITION OF ${parent} ${bound.join(' ')}`
      } else {
        sql = `CREATE ${unlogged}TABLE ${q(o.path)} (\n  ${columns.join(',\n  ')}\n)`
        if (a.inherits) sql += ` INHERITS (${a.inherits})`
      }
      if (a['partitioned by']) sql += ` PARTITION BY ${a['partitioned by']}`
      if (o.kind === 'foreign table') {
        steps.push({
          phase: PHASE.table,
          sql: `-- review: foreign table ${o.id} needs its SERVER and OPTIONS:\n-- ${sql};`,
        })
        break
      }
      steps.push({ phase: PHASE.table, sql: `${sql};` })
      if (a['row level security']) steps.push(...rls(o, null, a['row level security']))
      for (const child of children()) {
        if (child.kind === 'column') {
          if (child.attributes.comment) steps.push(comment(child, child.attributes.comment))
          continue
        }
        steps.push(...create(child, actual))
      }
      break
    }
    case 'column':
      steps.push({
        phase: PHASE.column,
        sql: `ALTER TABLE ${table(o)} ADD COLUMN ${columnDefinition(o)};`,
      })
      break
    case 'constraint':
      steps.push({
        phase: isForeignKey(o) ? PHASE.foreignKey : PHASE.constraint,
        sql: `ALTER TABLE ${table(o)} ADD CONSTRAINT ${quoteIdent(o.path[2]!)} ${a.definition}${a.valid === 'false' ? ' NOT VALID' : ''};`,
      })
      break
    case 'index':
      steps.push({ phase: PHASE.index, sql: `${o.details.definition};` })
      break
    case 'view':
    case 'materialized view': {
      const kind = o.kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW'
      const options = a.options ? ` WITH (${a.options})` : ''
      steps.push({
        phase: PHASE.view,
        sql: `CREATE ${kind} ${q(o.path)}${options} AS\n${(a.definition ?? '').replace(/;\s*$/, '')};`,
      })
      for (const child of children()) steps.push(...create(child, actual))
      break
    }
    case 'function':
    case 'procedure':
      steps.push({ phase: PHASE.function, sql: `${(o.details.definition ?? '').trimEnd()};` })
      break
    case 'aggregate':
      steps.push({
        phase: PHASE.function,
        sql: `-- review: create aggregate ${o.id} (${a.aggregate}) by hand`,
      })
      break
    case 'trigger':
      steps.push({ phase: PHASE.trigger, sql: `${a.definition};` })
      if (a.enabled && a.enabled !== 'enabled') steps.push(...triggerState(o, a.enabled))
      break
    case 'policy': {
      const check = a['with check'] ? ` WITH CHECK (${a['with check']})` : ''
      const using = a.using ? ` USING (${a.using})` : ''
      steps.push({
        phase: PHASE.policy,
        sql: `CREATE POLICY ${quoteIdent(o.path[2]!)} ON ${table(o)} AS ${(a.mode ?? 'permissive').toUpperCase()} FOR ${a.command} TO ${a.roles ?? 'PUBLIC'}${using}${check};`,
      })
      break
    }
  }
  if (a.comment && o.kind !== 'column' && o.kind !== 'extension') steps.push(comment(o, a.comment))
  return steps
}

function drop(o: SchemaObject): Step[] {
  switch (o.kind) {
    case 'column':
      return [
        {
          phase: PHASE.dropColumn,
          sql: `ALTER TABLE ${table(o)} DROP COLUMN ${quoteIdent(o.path[2]!)};`,
        },
      ]
    case 'constraint':
      return [
        {
          phase: isForeignKey(o) ? PHASE.dropForeignKey : PHASE.dropConstraint,
          sql: `ALTER TABLE ${table(o)} DROP CONSTRAINT ${quoteIdent(o.path[2]!)};`,
        },
      ]
    case 'trigger':
      return [
        { phase: PHASE.dropTrigger, sql: `DROP TRIGGER ${quoteIdent(o.path[2]!)} ON ${table(o)};` },
      ]
    case 'policy':
      return [
        { phase: PHASE.dropPolicy, sql: `DROP POLICY ${quoteIdent(o.path[2]!)} ON ${table(o)};` },
      ]
    case 'index':
      return [{ phase: PHASE.dropIndex, sql: `DROP INDEX ${q(o.path)};` }]
    case 'view':
    case 'materialized view':
      return [{ phase: PHASE.dropView, sql: `DROP ${SQL_KIND[o.kind]} ${q(o.path)};` }]
    case 'table':
    case 'foreign table':
      return [{ phase: PHASE.dropTable, sql: `DROP ${SQL_KIND[o.kind]} ${q(o.path)};` }]
    case 'function':
    case 'procedure':
    case 'aggregate':
      return [{ phase: PHASE.dropFunction, sql: `DROP ${SQL_KIND[o.kind]} ${routine(o)};` }]
    case 'sequence':
      return [{ phase: PHASE.dropSequence, sql: `DROP SEQUENCE ${q(o.path)};` }]
    case 'enum':
    case 'domain':
    case 'composite type':
    case 'range type':
      return [{ phase: PHASE.dropType, sql: `DROP ${SQL_KIND[o.kind]} ${q(o.path)};` }]
    case 'extension':
      return [{ phase: PHASE.dropExtension, sql: `DROP EXTENSION ${q(o.path)};` }]
    case 'schema':
      return [{ phase: PHASE.dropSchema, sql: `DROP SCHEMA ${q(o.path)};` }]
  }
}

function rls(o: SchemaObject, from: string | null, to: string | null): Step[] {
  const steps: Step[] = []
  const enabled = (v: string | null) => v !== null
  const forced = (v: string | null) => v?.includes('forced') === true
  if (enabled(from) !== enabled(to)) {
    steps.push({
      phase: PHASE.policy,
      sql: `ALTER TABLE ${table(o)} ${enabled(to) ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY;`,
    })
  }
  if (forced(from) !== forced(to)) {
    steps.push({
      phase: PHASE.policy,
      sql: `ALTER TABLE ${table(o)} ${forced(to) ? '' : 'NO '}FORCE ROW LEVEL SECURITY;`,
    })
  }
  return steps
}

function triggerState(o: SchemaObject, state: string): Step[] {
  const how: Record<string, string> = {
    enabled: 'ENABLE',
    disabled: 'DISABLE',
    'enabled replica': 'ENABLE REPLICA',
    'enabled always': 'ENABLE ALWAYS',
  }
  return [
    {
      phase: PHASE.trigger,
      sql: `ALTER TABLE ${table(o)} ${how[state] ?? 'ENABLE'} TRIGGER ${quoteIdent(o.path[2]!)};`,
    },
  ]
}

/** Statements for one changed attribute of an object both sides have. */
function alter(
  d: Difference,
  want: SchemaObject,
  got: SchemaObject,
  expected: SchemaInspection,
  actual: SchemaInspection,
): Step[] {
  const attribute = d.attribute!
  if (attribute === 'comment') return [comment(got, d.actual)]
  const recreate = () => [...drop(want), ...create(got, actual)]
  switch (got.kind) {
    case 'column':
      return alterColumn(attribute, want, got)
    case 'table':
    case 'foreign table': {
      if (attribute === 'row level security') return rls(got, d.expected, d.actual)
      if (attribute === 'persistence') {
        return [
          {
            phase: PHASE.table,
            sql: `ALTER TABLE ${table(got)} SET ${d.actual === 'unlogged' ? 'UNLOGGED' : 'LOGGED'};`,
          },
        ]
      }
      if (attribute === 'options') {
        const steps: Step[] = []
        if (d.expected) {
          const keys = d.expected.split(', ').map((o) => o.split('=')[0])
          steps.push({
            phase: PHASE.table,
            sql: `ALTER TABLE ${table(got)} RESET (${keys.join(', ')});`,
          })
        }
        if (d.actual)
          steps.push({ phase: PHASE.table, sql: `ALTER TABLE ${table(got)} SET (${d.actual});` })
        return steps
      }
      return [
        {
          phase: PHASE.table,
          sql: `-- review: ${got.kind} ${got.id}: ${attribute} differs (${d.expected ?? 'none'} → ${d.actual ?? 'none'}); PostgreSQL cannot change it in place: recreate the table and copy its rows`,
        },
      ]
    }
    case 'enum':
      return alterEnum(want, got, expected)
    case 'sequence':
      return alterSequence(attribute, got, d.actual)
    case 'view':
      if (attribute === 'definition') {
        return [
          {
            phase: PHASE.view,
            sql: `CREATE OR REPLACE VIEW ${q(got.path)} AS\n${(got.attributes.definition ?? '').replace(/;\s*$/, '')};`,
          },
        ]
      }
      return recreate()
    case 'function':
    case 'procedure':
      // CREATE OR REPLACE cannot change the result type: drop first then.
      return attribute === 'returns' ? recreate() : create(got, actual)
    case 'trigger':
      if (attribute === 'enabled') return triggerState(got, d.actual ?? 'enabled')
      return recreate()
    case 'extension':
      return [
        {
          phase: PHASE.extension,
          sql: `ALTER EXTENSION ${q(got.path)} SET SCHEMA ${quoteIdent(d.actual ?? 'public')};`,
        },
      ]
    default:
      // Constraints, indexes, policies, materialized views, domains, other types: drop and create.
      return recreate()
  }
}

function alterColumn(attribute: string, want: SchemaObject, got: SchemaObject): Step[] {
  const a = got.attributes
  const at = `ALTER TABLE ${table(got)} ALTER COLUMN ${quoteIdent(got.path[2]!)}`
  const step = (sql: string) => ({ phase: PHASE.column, sql })
  switch (attribute) {
    case 'type':
    case 'collation':
      return [
        step(
          `${at} TYPE ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''} USING ${quoteIdent(got.path[2]!)}::${a.type};`,
        ),
      ]
    case 'default':
      return [step(a.default ? `${at} SET DEFAULT ${a.default};` : `${at} DROP DEFAULT;`)]
    case 'not null':
      return [step(`${at} ${a['not null'] === 'true' ? 'SET' : 'DROP'} NOT NULL;`)]
    case 'identity': {
      if (a.identity === null) return [step(`${at} DROP IDENTITY;`)]
      const kind = a.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'
      if (want.attributes.identity === null)
        return [step(`${at} ADD GENERATED ${kind} AS IDENTITY;`)]
      return [step(`${at} SET GENERATED ${kind};`)]
    }
    case 'generated':
      return [
        step(`ALTER TABLE ${table(got)} DROP COLUMN ${quoteIdent(got.path[2]!)};`),
        step(`ALTER TABLE ${table(got)} ADD COLUMN ${columnDefinition(got)};`),
      ]
    default:
      return [step(`-- review: column ${got.id}: ${attribute} differs; change it by hand`)]
  }
}

function alterEnum(want: SchemaObject, got: SchemaObject, expected: SchemaInspection): Step[] {
  const before = JSON.parse(want.details.labels ?? '[]') as string[]
  const after = JSON.parse(got.details.labels ?? '[]') as string[]
  // Only additions (in order) can be made in place: ALTER TYPE … ADD VALUE … BEFORE/AFTER.
  const kept = after.filter((label) => before.includes(label))
  if (kept.length === before.length && kept.every((label, i) => label === before[i])) {
    return after.flatMap((label, i) => {
      if (before.includes(label)) return []
      const next = after.slice(i + 1).find((l) => before.includes(l))
      const where = next === undefined ? '' : ` BEFORE ${quoteLiteral(next)}`
      return [
        {
          phase: PHASE.type,
          sql: `ALTER TYPE ${q(got.path)} ADD VALUE ${quoteLiteral(label)}${where};`,
        },
      ]
    })
  }
  // A removed or reordered value: a new type, every column moved over through text, the old dropped.
  const old = [...got.path.slice(0, -1), `${got.path.at(-1)}__old`]
  const users = [...expected.objects.values()].filter(
    (c) => c.kind === 'column' && c.attributes.type === want.id,
  )
  return [
    {
      phase: PHASE.type,
      sql: `-- review: enum ${got.id} lost or reordered values; rows holding a removed value make the casts below fail`,
    },
    { phase: PHASE.type, sql: `ALTER TYPE ${q(got.path)} RENAME TO ${quoteIdent(old.at(-1)!)};` },
    {
      phase: PHASE.type,
      sql: `CREATE TYPE ${q(got.path)} AS ENUM (${after.map(quoteLiteral).join(', ')});`,
    },
    ...users.map((c) => ({
      phase: PHASE.type,
      sql: `ALTER TABLE ${table(c)} ALTER COLUMN ${quoteIdent(c.path[2]!)} TYPE ${q(got.path)} USING ${quoteIdent(c.path[2]!)}::text::${q(got.path)};`,
    })),
    { phase: PHASE.type, sql: `DROP TYPE ${q(old)};` },
  ]
}

function alterSequence(attribute: string, got: SchemaObject, value: string | null): Step[] {
  const at = `ALTER SEQUENCE ${q(got.path)}`
  const clause: Record<string, string> = {
    type: `AS ${value}`,
    start: `START WITH ${value}`,
    increment: `INCREMENT BY ${value}`,
    min: `MINVALUE ${value}`,
    max: `MAXVALUE ${value}`,
    cache: `CACHE ${value}`,
    cycle: value === 'true' ? 'CYCLE' : 'NO CYCLE',
    'owned by': `OWNED BY ${value ?? 'NONE'}`,
  }
  const sql = clause[attribute]
  return sql
    ? [{ phase: attribute === 'owned by' ? PHASE.ownedBy : PHASE.sequence, sql: `${at} ${sql};` }]
    : []
}

/**
 * The statements that turn the `expected` schema into the `actual` one, in an order PostgreSQL
 * accepts (drops of dependents first, then creates of what others depend on first).
 *
 * @example
 * const statements = migrationSql(diff, expected, actual)
 * console.log(statements.join('\n\n'))
 */
export function migrationSql(
  diff: SchemaDiff,
  expected: SchemaInspection,
  actual: SchemaInspection,
): string[] {
  const steps: Step[] = []
  const recreated = new Set<string>()
  for (const group of diff.groups) {
    for (const d of group.differences) {
      const key = `${d.kind} ${d.id}`
      const want = expected.objects.get(key)
      const got = actual.objects.get(key)
      if (d.change === 'only-expected' && want) steps.push(...drop(want))
      else if (d.change === 'only-actual' && got) steps.push(...create(got, actual))
      else if (want && got) {
        if (d.attribute === 'column order') {
          steps.push({
            phase: PHASE.column,
            sql: `-- review: ${got.kind} ${got.id}: the columns come in another order (${d.actual}); PostgreSQL cannot move a column: recreate the table if the order matters`,
          })
          continue
        }
        // One drop-and-create per object, however many of its attributes differ.
        if (recreated.has(key)) continue
        const next = alter(d, want, got, expected, actual)
        if (next.some((s) => s.phase < PHASE.createSchema)) recreated.add(key)
        steps.push(...next)
      }
    }
  }
  const sorted = steps
    .map((step, order) => ({ step, order }))
    .sort((a, b) => a.step.phase - b.step.phase || a.order - b.order)
    .map(({ step }) => step.sql)
  const unique = [...new Set(sorted)]
  // A new SQL-language function may name tables created after it.
  if (unique.some((s) => /^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE)/.test(s))) {
    unique.unshift('SET check_function_bodies = off;')
  }
  return unique
}
