import { DataSource } from 'typeorm'
import { CreateUsers1704067200000 } from './migrations/1704067200000-CreateUsers.js'
import { CreatePosts1704153600000 } from './migrations/1704153600000-CreatePosts.js'

/** The app's DataSource, for any database URL (the app passes its own, tests the template's). */
export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: [CreateUsers1704067200000, CreatePosts1704153600000],
  })
}
