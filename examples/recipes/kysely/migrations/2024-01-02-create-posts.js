/** @param {import('kysely').Kysely<unknown>} db */
export async function up(db) {
  await db.schema
    .createTable('posts')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('title', 'text', (col) => col.notNull())
    .execute()
}

/** @param {import('kysely').Kysely<unknown>} db */
export async function down(db) {
  await db.schema.dropTable('posts').execute()
}
