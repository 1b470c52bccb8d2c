/** @param {import('knex').Knex} knex */
exports.up = (knex) =>
  knex.schema.createTable('tasks', (table) => {
    table.increments('id')
    table.integer('project_id').notNullable().references('projects.id').onDelete('CASCADE')
    table.text('title').notNullable()
    table.boolean('done').notNullable().defaultTo(false)
  })

/** @param {import('knex').Knex} knex */
exports.down = (knex) => knex.schema.dropTable('tasks')
