/** @param {import('kysely').Kysely<unknown>} db */
export async function up(db) {
  await db.schema
    .createTable('users')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('email', 'text', (col) => col.notNull().unique())
    .execute()
}

/** @param {import('kysely').Kysely<unknown>} db */
export async function down(db) {
  await db.schema.dropTable('users').execute()
}
