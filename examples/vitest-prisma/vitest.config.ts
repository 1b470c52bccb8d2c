import { pgtestbed } from '@pgtestbed/vitest'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [pgtestbed({ migrations: './prisma/migrations' })],
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
})
