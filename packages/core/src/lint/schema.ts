import type { AlterTableStmt, ColumnDef, Node, RenameStmt, TypeName } from 'libpg-query'
import {
  listName,
  nodeAs,
  objectName,
  rangeVarName,
  stringList,
  typeNameOf,
  type QualifiedName,
} from './ast.js'
import { ObjectMap, objectKey } from './object-map.js'

/** A table the migrations created, as far as lint follows it. */
export interface TableInfo {
  name: QualifiedName
  /** Index of the migration that created it. */
  createdIn: number
  /** Column name → type key (see {@link SchemaModel.typeKey}); only columns lint saw defined. */
  columns: Map<string, string>
  /** CHECK constraints of the form `col IS NOT NULL`: constraint name → column and validity. */
  notNullChecks: Map<string, { column: string; valid: boolean }>
}

/** An enum type the migrations created. */
export interface EnumInfo {
  name: QualifiedName
  createdIn: number
  labels: string[]
  /**
   * Labels no row holds any more: an UPDATE that set every column of this type away from them
   * (or a DELETE of those rows) ran in migration `migration`. Follows the type through renames.
   */
  vacated?: { migration: number; labels: Set<string> }
}

const key = objectKey

/**
 * The small schema model lint walks the migrations with: which tables, indexes and enum types
 * the migrations created (and in which migration), following creates, renames and drops in apply
 * order. "Existing" means created by an earlier migration or not created by any migration at all
 * (lint cannot see the database, so an unknown table is assumed to hold data).
 *
 * @example
 * const model = new SchemaModel()
 * model.apply(createUsersNode, 0)
 * model.isNewTable({ name: 'users' }, 0) // true: created in this migration
 * model.isNewTable({ name: 'users' }, 1) // false: it existed before migration 1
 */
export class SchemaModel {
  readonly tables = new ObjectMap<TableInfo>()
  readonly enums = new ObjectMap<EnumInfo>()
  readonly indexes = new ObjectMap<{ table?: QualifiedName; createdIn: number }>()
  /** Enum renames of the current migration: new name key of the OLD type → its old info. */
  readonly renamedEnums = new Map<string, EnumInfo>()
  private migration = -1

  /** The table lint knows under `name`, if the migrations created it. */
  table(name: QualifiedName | undefined): TableInfo | undefined {
    return name ? this.tables.lookup(name) : undefined
  }

  /** The enum type lint knows under `name`, if the migrations created it. */
  enumType(name: QualifiedName | undefined): EnumInfo | undefined {
    return name ? this.enums.lookup(name) : undefined
  }

  /** The index lint knows under `name`, if the migrations created it. */
  index(name: QualifiedName | undefined): { table?: QualifiedName; createdIn: number } | undefined {
    return name ? this.indexes.lookup(name) : undefined
  }

  /** True when the table was created by migration `migration` itself (so it holds no data yet). */
  isNewTable(name: QualifiedName | undefined, migration: number): boolean {
    return this.table(name)?.createdIn === migration
  }

  /**
   * A comparable key for a column's type: a known enum resolves to its key (PostgreSQL binds a
   * column to the type itself, so renaming the type later renames the column's type too).
   */
  typeKey(typeName: TypeName | undefined): string | undefined {
    const name = typeNameOf(typeName)
    if (!name) return undefined
    const known = this.enumType(name)
    return known ? key(known.name) : key(name)
  }

  /** Updates the model with one command of migration `migration` (in apply order). */
  apply(node: Node, migration: number): void {
    if (migration !== this.migration) {
      this.migration = migration
      this.renamedEnums.clear()
    }
    const create = nodeAs(node, 'CreateStmt')
    if (create) {
      const name = rangeVarName(create.relation)
      // IF NOT EXISTS on a table the migrations already made is a no-op: it stays existing.
      if (create.if_not_exists && this.table(name)) return
      const table = this.addTable(name, migration)
      for (const element of create.tableElts ?? [])
        this.addColumn(table, nodeAs(element, 'ColumnDef'))
      return
    }
    const createAs = nodeAs(node, 'CreateTableAsStmt')
    if (createAs?.objtype === 'OBJECT_TABLE') {
      this.addTable(rangeVarName(createAs.into?.rel), migration)
      return
    }
    const createEnum = nodeAs(node, 'CreateEnumStmt')
    if (createEnum) {
      const name = listName(stringList(createEnum.typeName))
      const labels = (createEnum.vals ?? []).flatMap((v) => nodeAs(v, 'String')?.sval ?? [])
      if (name) this.enums.set(name, { name, createdIn: migration, labels })
      return
    }
    const alterEnum = nodeAs(node, 'AlterEnumStmt')
    if (alterEnum) {
      const info = this.enumType(listName(stringList(alterEnum.typeName)))
      if (!info || alterEnum.newVal === undefined) return
      if (alterEnum.oldVal !== undefined) {
        info.labels = info.labels.map((l) => (l === alterEnum.oldVal ? alterEnum.newVal! : l))
      } else if (!info.labels.includes(alterEnum.newVal)) {
        info.labels.push(alterEnum.newVal)
      }
      return
    }
    const update = nodeAs(node, 'UpdateStmt')
    if (update) {
      const assigned = new Set(
        (update.targetList ?? []).flatMap((t) => nodeAs(t, 'ResTarget')?.name ?? []),
      )
      this.noteVacated(rangeVarName(update.relation), update.whereClause, assigned, migration)
      return
    }
    const remove = nodeAs(node, 'DeleteStmt')
    if (remove) {
      this.noteVacated(rangeVarName(remove.relation), remove.whereClause, undefined, migration)
      return
    }
    const index = nodeAs(node, 'IndexStmt')
    if (index) {
      const table = rangeVarName(index.relation)
      const name = index.idxname
        ? { ...(table?.schema ? { schema: table.schema } : {}), name: index.idxname }
        : undefined
      if (name) this.indexes.set(name, { ...(table ? { table } : {}), createdIn: migration })
      return
    }
    const rename = nodeAs(node, 'RenameStmt')
    if (rename) return this.applyRename(rename)
    const move = nodeAs(node, 'AlterObjectSchemaStmt')
    if (move?.objectType === 'OBJECT_TABLE' && move.newschema) {
      const name = rangeVarName(move.relation)
      const table = this.table(name)
      if (table) this.moveTable(table, { schema: move.newschema, name: table.name.name })
      return
    }
    const drop = nodeAs(node, 'DropStmt')
    if (drop) {
      const map =
        drop.removeType === 'OBJECT_TABLE'
          ? this.tables
          : drop.removeType === 'OBJECT_INDEX'
            ? this.indexes
            : drop.removeType === 'OBJECT_TYPE'
              ? this.enums
              : undefined
      for (const object of drop.objects ?? []) {
        const name = objectName(object)
        if (map && name) map.remove(name)
      }
      return
    }
    const alter = nodeAs(node, 'AlterTableStmt')
    if (alter?.objtype === 'OBJECT_TABLE') this.applyAlterTable(alter)
  }

  private addTable(name: QualifiedName | undefined, migration: number): TableInfo | undefined {
    if (!name) return undefined
    const table: TableInfo = {
      name,
      createdIn: migration,
      columns: new Map(),
      notNullChecks: new Map(),
    }
    this.tables.set(name, table)
    return table
  }

  private addColumn(table: TableInfo | undefined, column: ColumnDef | undefined): void {
    if (!table || !column?.colname) return
    const type = this.typeKey(column.typeName)
    if (type) table.columns.set(column.colname, type)
  }

  private moveTable(table: TableInfo, to: QualifiedName): void {
    this.tables.remove(table.name)
    table.name = to
    this.tables.set(to, table)
  }

  /**
   * Records the enum labels an UPDATE (of the `assigned` columns) or a DELETE (`assigned`
   * undefined) moves every row off: its WHERE must select exactly the rows whose enum column holds
   * those labels (`col = 'a'`, `col IN ('a', 'b')`, or an OR of these), so no row keeps them.
   */
  private noteVacated(
    name: QualifiedName | undefined,
    where: Node | undefined,
    assigned: ReadonlySet<string> | undefined,
    migration: number,
  ): void {
    const table = this.table(name)
    if (!table || !where) return
    for (const [column, type] of table.columns) {
      if (assigned && !assigned.has(column)) continue
      const info = this.enums.lookup(keyName(type))
      const labels = info && selectedLabels(where, column)
      if (!info || !labels) continue
      if (info.vacated?.migration !== migration) info.vacated = { migration, labels: new Set() }
      for (const label of labels) info.vacated.labels.add(label)
    }
  }

  private applyRename(rename: RenameStmt): void {
    if (!rename.newname) return
    if (rename.renameType === 'OBJECT_TABLE') {
      const table = this.table(rangeVarName(rename.relation))
      if (table)
        this.moveTable(table, {
          ...(table.name.schema ? { schema: table.name.schema } : {}),
          name: rename.newname,
        })
    } else if (rename.renameType === 'OBJECT_COLUMN' && rename.subname) {
      const table = this.table(rangeVarName(rename.relation))
      const type = table?.columns.get(rename.subname)
      if (table && type !== undefined) {
        table.columns.delete(rename.subname)
        table.columns.set(rename.newname, type)
      }
    } else if (rename.renameType === 'OBJECT_TYPE') {
      const info = this.enumType(objectName(rename.object))
      if (!info) return
      const oldKey = key(info.name)
      this.enums.remove(info.name)
      info.name = {
        ...(info.name.schema ? { schema: info.name.schema } : {}),
        name: rename.newname,
      }
      const newKey = key(info.name)
      this.enums.set(info.name, info)
      // Columns follow the type object, not its name.
      for (const table of this.tables.values()) {
        for (const [column, type] of table.columns)
          if (type === oldKey) table.columns.set(column, newKey)
      }
      this.renamedEnums.set(oldKey, { ...info, labels: [...info.labels] })
    }
  }

  private applyAlterTable(alter: AlterTableStmt): void {
    const name = rangeVarName(alter.relation)
    const table = this.table(name)
    if (!table) return
    for (const item of alter.cmds ?? []) {
      const cmd = nodeAs(item, 'AlterTableCmd')
      if (!cmd) continue
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          this.addColumn(table, nodeAs(cmd.def, 'ColumnDef'))
          break
        case 'AT_DropColumn':
          if (cmd.name) table.columns.delete(cmd.name)
          break
        case 'AT_AlterColumnType': {
          const type = this.typeKey(nodeAs(cmd.def, 'ColumnDef')?.typeName)
          if (cmd.name && type) table.columns.set(cmd.name, type)
          break
        }
        case 'AT_AddConstraint': {
          const constraint = nodeAs(cmd.def, 'Constraint')
          const test = nodeAs(constraint?.raw_expr, 'NullTest')
          const column = stringList(nodeAs(test?.arg, 'ColumnRef')?.fields).at(-1)
          if (
            constraint?.contype === 'CONSTR_CHECK' &&
            constraint.conname &&
            column &&
            test?.nulltesttype === 'IS_NOT_NULL'
          ) {
            table.notNullChecks.set(constraint.conname, {
              column,
              valid: !constraint.skip_validation,
            })
          }
          break
        }
        case 'AT_ValidateConstraint': {
          const check = cmd.name ? table.notNullChecks.get(cmd.name) : undefined
          if (check) check.valid = true
          break
        }
        case 'AT_DropConstraint':
          if (cmd.name) table.notNullChecks.delete(cmd.name)
          break
        default:
          break
      }
    }
  }
}

/** The qualified name a type key (`schema.name`) stands for. */
function keyName(typeKey: string): QualifiedName {
  const dot = typeKey.indexOf('.')
  return { schema: typeKey.slice(0, dot), name: typeKey.slice(dot + 1) }
}

/**
 * The string labels `where` selects on `column` when it selects exactly the rows holding them:
 * `column = 'a'`, `column IN ('a', 'b')` (a cast on either side allowed), or an OR of these.
 * Anything else (AND, <>, other columns) returns `undefined`: lint cannot tell which rows it keeps.
 */
function selectedLabels(where: Node, column: string): string[] | undefined {
  const or = nodeAs(where, 'BoolExpr')
  if (or) {
    if (or.boolop !== 'OR_EXPR') return undefined
    const parts = (or.args ?? []).map((arg) => selectedLabels(arg, column))
    return parts.every((p) => p !== undefined) ? parts.flat() : undefined
  }
  const expr = nodeAs(where, 'A_Expr')
  const operator = stringList(expr?.name)
  if (!expr || operator.length !== 1 || operator[0] !== '=') return undefined
  if (stringList(nodeAs(uncast(expr.lexpr), 'ColumnRef')?.fields).at(-1) !== column)
    return undefined
  const values =
    expr.kind === 'AEXPR_OP'
      ? [expr.rexpr]
      : expr.kind === 'AEXPR_IN'
        ? (nodeAs(expr.rexpr, 'List')?.items ?? [])
        : undefined
  const labels = values?.map((v) => nodeAs(uncast(v), 'A_Const')?.sval?.sval)
  return labels?.every((l) => l !== undefined) ? (labels as string[]) : undefined
}

/** The node under any `::type` casts. */
function uncast(node: Node | undefined): Node | undefined {
  let current = node
  for (let cast = nodeAs(current, 'TypeCast'); cast; cast = nodeAs(current, 'TypeCast')) {
    current = cast.arg
  }
  return current
}
