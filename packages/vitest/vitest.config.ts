import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Not test/fixtures: those are projects the e2e tests run with the real vitest CLI.
    include: ['test/unit/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    // Each e2e test runs a whole Vitest (up to 3 workers) as a child process: two at a time keep
    // the machine and the shared server's connection count modest.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
})
