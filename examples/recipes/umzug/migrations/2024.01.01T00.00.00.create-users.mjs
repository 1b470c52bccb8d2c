/** @param {{ context: import('pg').Client }} params */
export async function up({ context: client }) {
  await client.query('CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE)')
}

/** @param {{ context: import('pg').Client }} params */
export async function down({ context: client }) {
  await client.query('DROP TABLE users')
}
