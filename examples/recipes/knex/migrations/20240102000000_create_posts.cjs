/** @param {import('knex').Knex} knex */
exports.up = (knex) =>
  knex.schema.createTable('posts', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable().references('users.id')
    table.text('title').notNullable()
  })

/** @param {import('knex').Knex} knex */
exports.down = (knex) => knex.schema.dropTable('posts')
