/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const up = (pgm) => {
  pgm.createTable('posts', {
    id: 'id',
    user_id: { type: 'integer', notNull: true, references: 'users' },
    title: { type: 'text', notNull: true },
  })
}

/** @param {import('node-pg-migrate').MigrationBuilder} pgm */
export const down = (pgm) => {
  pgm.dropTable('posts')
}
