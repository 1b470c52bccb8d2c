/** @param {import('knex').Knex} knex */
exports.up = (knex) =>
  knex.schema.createTable('projects', (table) => {
    table.increments('id')
    table.text('name').notNullable().unique()
  })

/** @param {import('knex').Knex} knex */
exports.down = (knex) => knex.schema.dropTable('projects')
