import { afterAll, expect, test } from 'vitest'
import { buildTwice, dropRecipeDatabases, rows, tables } from './recipe.js'

afterAll(() => dropRecipeDatabases('kysely'))

test("should build the template in process with Kysely's Migrator and reuse it", async () => {
  await buildTwice('kysely', async (url) => {
    expect(await tables(url)).toEqual([
      'kysely_migration',
      'kysely_migration_lock',
      'posts',
      'users',
    ])
    const applied = await rows<{ name: string }>(
      url,
      'SELECT name FROM kysely_migration ORDER BY name',
    )
    expect(applied.map((r) => r.name)).toEqual([
      '2024-01-01-create-users',
      '2024-01-02-create-posts',
    ])
  })
})
