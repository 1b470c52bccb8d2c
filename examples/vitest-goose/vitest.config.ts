import { pgtestbed } from '@pgtestbed/vitest'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [pgtestbed({ migrations: './db/migrations' })],
})
