// Knex reads its connection from DATABASE_URL, which pgtestbed points at the template being built.
module.exports = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { directory: './migrations' },
}
