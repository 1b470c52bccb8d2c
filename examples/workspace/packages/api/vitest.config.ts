import { pgtestbed } from '@pgtestbed/vitest'
import { defineConfig } from 'vitest/config'

// No options: the migrations folder comes from ../../pgtestbed.config.json, shared with the worker.
export default defineConfig({
  plugins: [pgtestbed()],
  test: { include: ['test/**/*.test.ts'] },
})
