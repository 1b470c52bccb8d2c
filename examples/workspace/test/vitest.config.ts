import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The check runs both packages' test suites, including the first embedded-server start.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
})
