import { afterAll, expect, test } from 'vitest'
import { buildTwice, dropRecipeDatabases, rows, tables } from './recipe.js'

afterAll(() => dropRecipeDatabases('typeorm'))

test("should build the template in process with TypeORM's DataSource.runMigrations and reuse it", async () => {
  await buildTwice('typeorm', async (url) => {
    expect(await tables(url)).toEqual(['migrations', 'posts', 'users'])
    const applied = await rows<{ timestamp: string; name: string }>(
      url,
      'SELECT timestamp::text, name FROM migrations ORDER BY id',
    )
    expect(applied).toEqual([
      { timestamp: '1704067200000', name: 'CreateUsers1704067200000' },
      { timestamp: '1704153600000', name: 'CreatePosts1704153600000' },
    ])
  })
})
