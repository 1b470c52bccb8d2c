import type {
  DiffGroup,
  Difference,
  ObjectKind,
  SchemaDiff,
  SchemaInspection,
  SchemaObject,
} from './types.js'

/** The order groups and differences are listed in: what others depend on first. */
export const KIND_ORDER: readonly ObjectKind[] = [
  'schema',
  'extension',
  'enum',
  'domain',
  'composite type',
  'range type',
  'sequence',
  'table',
  'foreign table',
  'column',
  'constraint',
  'index',
  'view',
  'materialized view',
  'function',
  'procedure',
  'aggregate',
  'trigger',
  'policy',
]

const rank = (kind: ObjectKind) => KIND_ORDER.indexOf(kind)

/**
 * Attributes that restate the others (the whole `CREATE INDEX` or `CREATE FUNCTION` text): shown
 * only when nothing more specific differs, so a changed body is reported once, as the body.
 */
const CATCH_ALL = 'full definition'

/**
 * Compares two schemas object by object and attribute by attribute. An object only one side
 * has is one difference (its columns, indexes… are not listed again); a table whose shared
 * columns come in another order gets a `column order` difference.
 *
 * @example
 * const diff = compareSchemas(await inspectSchema(template), await inspectSchema(live))
 * if (!diff.same) console.log(formatDiffText(diff, { expected: 'migrations', actual: 'live' }))
 */
export function compareSchemas(expected: SchemaInspection, actual: SchemaInspection): SchemaDiff {
  const groups = new Map<string, DiffGroup>()
  const push = (object: SchemaObject, difference: Difference) => {
    const top = topOf(object, expected, actual)
    let group = groups.get(top.key)
    if (!group) {
      group = { kind: top.kind, id: top.id, key: top.key, differences: [] }
      groups.set(top.key, group)
    }
    group.differences.push(difference)
  }

  for (const [key, want] of expected.objects) {
    const got = actual.objects.get(key)
    if (!got) {
      if (want.parent === undefined || actual.objects.has(want.parent)) {
        push(want, only(want, expected, 'only-expected'))
      }
      continue
    }
    for (const difference of compareAttributes(want, got)) push(want, difference)
    if (want.kind === 'table' || want.kind === 'foreign table') {
      const order = compareColumnOrder(want, expected, actual)
      if (order) push(want, order)
    }
  }
  for (const [key, got] of actual.objects) {
    if (expected.objects.has(key)) continue
    if (got.parent === undefined || expected.objects.has(got.parent)) {
      push(got, only(got, actual, 'only-actual'))
    }
  }

  const sorted = [...groups.values()].sort(byKindThenId)
  for (const group of sorted) {
    group.differences.sort((a, b) => {
      const own = Number(b.id === group.id) - Number(a.id === group.id)
      return own || byKindThenId(a, b)
    })
  }
  return { same: sorted.length === 0, groups: sorted }
}

function byKindThenId(a: { kind: ObjectKind; id: string }, b: { kind: ObjectKind; id: string }) {
  return rank(a.kind) - rank(b.kind) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The top-level object an object belongs to (a column's table), looked up on either side. */
function topOf(
  object: SchemaObject,
  expected: SchemaInspection,
  actual: SchemaInspection,
): SchemaObject {
  let current = object
  while (current.parent !== undefined) {
    const parent = expected.objects.get(current.parent) ?? actual.objects.get(current.parent)
    if (!parent) break
    current = parent
  }
  return current
}

function compareAttributes(want: SchemaObject, got: SchemaObject): Difference[] {
  const names = [...new Set([...Object.keys(want.attributes), ...Object.keys(got.attributes)])]
  const differences: Difference[] = []
  for (const name of names) {
    const a = want.attributes[name] ?? null
    const b = got.attributes[name] ?? null
    if (a === b) continue
    differences.push({
      kind: want.kind,
      id: want.id,
      change: 'changed',
      attribute: name,
      expected: a,
      actual: b,
    })
  }
  const specific = differences.filter((d) => d.attribute !== CATCH_ALL)
  return specific.length > 0 ? specific : differences
}

const columnIndex = new WeakMap<SchemaInspection, Map<string, SchemaObject[]>>()

/** The columns of a table in position order. */
export function columnsOf(table: SchemaObject, inspection: SchemaInspection): SchemaObject[] {
  let index = columnIndex.get(inspection)
  if (!index) {
    index = new Map()
    for (const object of inspection.objects.values()) {
      if (object.kind !== 'column' || object.parent === undefined) continue
      let columns = index.get(object.parent)
      if (!columns) index.set(object.parent, (columns = []))
      columns.push(object)
    }
    for (const columns of index.values()) {
      columns.sort((a, b) => Number(a.details.position) - Number(b.details.position))
    }
    columnIndex.set(inspection, index)
  }
  return index.get(table.key) ?? []
}

/**
 * `column order` when the columns both sides have come in a different order. Columns only one
 * side has are reported on their own, so they are left out here.
 */
function compareColumnOrder(
  table: SchemaObject,
  expected: SchemaInspection,
  actual: SchemaInspection,
): Difference | undefined {
  const want = columnsOf(table, expected).map((c) => c.path.at(-1)!)
  const got = columnsOf(table, actual).map((c) => c.path.at(-1)!)
  const shared = (names: string[], other: string[]) => names.filter((n) => other.includes(n))
  const a = shared(want, got)
  const b = shared(got, want)
  if (a.join('\0') === b.join('\0')) return undefined
  return {
    kind: table.kind,
    id: table.id,
    change: 'changed',
    attribute: 'column order',
    expected: want.join(', '),
    actual: got.join(', '),
  }
}

function only(
  object: SchemaObject,
  inspection: SchemaInspection,
  change: 'only-expected' | 'only-actual',
): Difference {
  const summary = summarize(object, inspection)
  return {
    kind: object.kind,
    id: object.id,
    change,
    expected: change === 'only-expected' ? summary : null,
    actual: change === 'only-actual' ? summary : null,
  }
}

/** One line that says what an object is, for an object only one side has. */
function summarize(object: SchemaObject, inspection: SchemaInspection): string {
  const a = object.attributes
  switch (object.kind) {
    case 'table':
    case 'foreign table': {
      const columns = columnsOf(object, inspection)
      return `(${columns.map((c) => `${c.path.at(-1)} ${c.attributes.type}`).join(', ')})`
    }
    case 'column':
      return [
        a.type,
        a['not null'] === 'true' ? 'not null' : undefined,
        a.default ? `default ${a.default}` : undefined,
        a.identity ? `generated ${a.identity} as identity` : undefined,
        a.generated ? `generated always as ${a.generated}` : undefined,
        a.collation ? `collate ${a.collation}` : undefined,
        `(position ${object.details.position})`,
      ]
        .filter(Boolean)
        .join(' ')
    case 'constraint':
    case 'trigger':
    case 'view':
    case 'materialized view':
      return oneLine(a.definition ?? '')
    case 'index':
      return object.details.definition ?? ''
    case 'enum':
      return a.values ?? ''
    case 'sequence':
      return `${a.type} start ${a.start} increment ${a.increment}`
    case 'function':
      return `returns ${a.returns} language ${a.language}`
    case 'procedure':
      return `language ${a.language}`
    case 'policy':
      return `${a.mode} for ${a.command} to ${a.roles}${a.using ? ` using (${a.using})` : ''}${a['with check'] ? ` with check (${a['with check']})` : ''}`
    case 'extension':
      return `schema ${a.schema}${object.details.version ? `, version ${object.details.version}` : ''}`
    case 'domain':
      return a.type ?? ''
    case 'composite type':
      return `(${a.fields ?? ''})`
    case 'range type':
      return `range of ${a.subtype}`
    case 'aggregate':
      return a.aggregate ?? ''
    case 'schema':
      return 'schema'
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
