// The app's Knex config. DATABASE_URL is the app's database in production; pgtestbed points it at
// the template it builds (when it runs `knex migrate:latest`) and at each test file's own copy.
module.exports = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { directory: './migrations' },
}
