import { afterAll, expect, test } from 'vitest'
import { buildTwice, dropRecipeDatabases, rows, tables } from './recipe.js'

afterAll(() => dropRecipeDatabases('node-pg-migrate'))

test('should build the template with `npx node-pg-migrate up` (JavaScript migrations) and reuse it', async () => {
  await buildTwice('node-pg-migrate', async (url) => {
    expect(await tables(url)).toEqual(['pgmigrations', 'posts', 'users'])
    const applied = await rows<{ id: number; name: string }>(
      url,
      'SELECT id, name FROM pgmigrations ORDER BY run_on, id',
    )
    expect(applied).toEqual([
      { id: 1, name: '1704067200000_create-users' },
      { id: 2, name: '1704153600000_create-posts' },
    ])
  })
})
