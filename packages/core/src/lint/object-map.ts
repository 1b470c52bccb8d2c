import type { QualifiedName } from './ast.js'

const DEFAULT_SCHEMA = 'public'

/** The key of a name: `schema.name`, `public` when unqualified. */
export function objectKey(name: QualifiedName): string {
  return `${name.schema ?? DEFAULT_SCHEMA}.${name.name}`
}

/**
 * Schema objects (tables, indexes, enum types) by qualified name, with the lookup rule of
 * {@link ObjectMap.lookup}. Keeps an index by bare name, so looking up an unqualified name that
 * is not in `public` (a table from a baseline the migrations never created) costs one map read,
 * not a scan of every object.
 */
export class ObjectMap<T> {
  private readonly byKey = new Map<string, { name: QualifiedName; value: T }>()
  /** Bare name → the keys of every object with that name. */
  private readonly byName = new Map<string, Set<string>>()

  /**
   * An exact match for a qualified name; for an unqualified one `public` first, then the only
   * object of that name in any schema (a migration may `SET search_path`).
   */
  lookup(name: QualifiedName): T | undefined {
    return this.entry(name)?.value
  }

  set(name: QualifiedName, value: T): void {
    const key = objectKey(name)
    this.byKey.set(key, { name, value })
    let keys = this.byName.get(name.name)
    if (!keys) this.byName.set(name.name, (keys = new Set()))
    keys.add(key)
  }

  /** Removes what {@link lookup} finds for `name`; returns it. */
  remove(name: QualifiedName): T | undefined {
    const found = this.entry(name)
    if (!found) return undefined
    const key = objectKey(found.name)
    this.byKey.delete(key)
    this.byName.get(found.name.name)?.delete(key)
    return found.value
  }

  values(): T[] {
    return [...this.byKey.values()].map((entry) => entry.value)
  }

  private entry(name: QualifiedName): { name: QualifiedName; value: T } | undefined {
    const exact = this.byKey.get(objectKey(name))
    if (exact !== undefined || name.schema !== undefined) return exact
    const keys = this.byName.get(name.name)
    if (keys?.size !== 1) return undefined
    for (const key of keys) return this.byKey.get(key)
    return undefined
  }
}
