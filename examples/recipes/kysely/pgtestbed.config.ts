import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from '@pgtestbed/core'
import { Kysely, PostgresDialect } from 'kysely'
import { FileMigrationProvider, Migrator } from 'kysely/migration'
import pg from 'pg'

const migrationFolder = fileURLToPath(new URL('./migrations', import.meta.url))

export default defineConfig({
  migrate: {
    inputs: ['migrations/**'],
    // Kysely's Migrator, in the test runner's process, against the template being built.
    async run({ url }) {
      const db = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
      })
      try {
        const provider = new FileMigrationProvider({ fs, path, migrationFolder })
        const { error } = await new Migrator({ db, provider }).migrateToLatest()
        if (error) throw error
      } finally {
        await db.destroy()
      }
    },
  },
})
