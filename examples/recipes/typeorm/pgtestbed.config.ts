import { defineConfig } from '@pgtestbed/core'
import { createDataSource } from './data-source.js'

export default defineConfig({
  migrate: {
    inputs: ['data-source.ts', 'migrations/**'],
    // TypeORM's own runner, in the test runner's process, against the template being built.
    async run({ url }) {
      const dataSource = await createDataSource(url).initialize()
      try {
        await dataSource.runMigrations({ transaction: 'each' })
      } finally {
        await dataSource.destroy()
      }
    },
  },
})
