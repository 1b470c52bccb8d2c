/** @param {import('knex').Knex} knex */
exports.up = (knex) =>
  knex.schema.createTable('users', (table) => {
    table.increments('id')
    table.text('email').notNullable().unique()
  })

/** @param {import('knex').Knex} knex */
exports.down = (knex) => knex.schema.dropTable('users')
