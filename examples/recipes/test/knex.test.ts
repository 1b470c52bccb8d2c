import { afterAll, expect, test } from 'vitest'
import { buildTwice, dropRecipeDatabases, rows, tables } from './recipe.js'

afterAll(() => dropRecipeDatabases('knex'))

test('should build the template with `npx knex migrate:latest` and reuse it, with knex_migrations as Knex writes it', async () => {
  await buildTwice('knex', async (url) => {
    expect(await tables(url)).toEqual(['knex_migrations', 'knex_migrations_lock', 'posts', 'users'])
    const applied = await rows<{ name: string; batch: number }>(
      url,
      'SELECT name, batch FROM knex_migrations ORDER BY id',
    )
    expect(applied).toEqual([
      { name: '20240101000000_create_users.cjs', batch: 1 },
      { name: '20240102000000_create_posts.cjs', batch: 1 },
    ])
  })
})
