// umzug with its history in PostgreSQL: `node migrate.mjs` applies every pending migration to
// the database in DATABASE_URL.
import pg from 'pg'
import { Umzug } from 'umzug'

const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
await client.connect()
await client.query(
  'CREATE TABLE IF NOT EXISTS umzug_migrations (name text PRIMARY KEY, run_on timestamptz NOT NULL DEFAULT now())',
)

const umzug = new Umzug({
  migrations: { glob: 'migrations/*.mjs' },
  context: client,
  storage: {
    async executed() {
      const result = await client.query('SELECT name FROM umzug_migrations ORDER BY name')
      return result.rows.map((row) => row.name)
    },
    async logMigration({ name }) {
      await client.query('INSERT INTO umzug_migrations (name) VALUES ($1)', [name])
    },
    async unlogMigration({ name }) {
      await client.query('DELETE FROM umzug_migrations WHERE name = $1', [name])
    },
  },
  logger: console,
})

try {
  await umzug.up()
} finally {
  await client.end()
}
