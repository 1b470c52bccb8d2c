import { afterAll, expect, test } from 'vitest'
import { buildTwice, dropRecipeDatabases, rows, tables } from './recipe.js'

afterAll(() => dropRecipeDatabases('umzug'))

test('should build the template with an umzug script and reuse it', async () => {
  await buildTwice('umzug', async (url) => {
    expect(await tables(url)).toEqual(['posts', 'umzug_migrations', 'users'])
    const applied = await rows<{ name: string }>(
      url,
      'SELECT name FROM umzug_migrations ORDER BY name',
    )
    expect(applied.map((r) => r.name)).toEqual([
      '2024.01.01T00.00.00.create-users.mjs',
      '2024.01.02T00.00.00.create-posts.mjs',
    ])
  })
})
