/** @param {{ context: import('pg').Client }} params */
export async function up({ context: client }) {
  await client.query(
    'CREATE TABLE posts (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), title text NOT NULL)',
  )
}

/** @param {{ context: import('pg').Client }} params */
export async function down({ context: client }) {
  await client.query('DROP TABLE posts')
}
