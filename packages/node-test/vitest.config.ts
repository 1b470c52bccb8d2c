import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Not test/fixtures: those are projects the e2e tests run with the real `node --test`.
    include: ['test/e2e/**/*.test.ts'],
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
})
