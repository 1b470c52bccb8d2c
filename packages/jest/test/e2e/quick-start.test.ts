import { describe, expect, test } from 'vitest'
import { runJest, SERVER_URL } from '../helpers/jest-run.js'
import { useScratch } from '../helpers/scratch.js'

const scratch = useScratch()

// The README's Quick start shows these files whole (core's docs-snippets test compares them).
describe("the README's Quick start", () => {
  test('should pass as shown', async () => {
    const { copy } = scratch('quick-start')
    const result = await runJest(copy, [], { env: { PGTESTBED_URL: SERVER_URL } })
    expect(result.stderr).toContain('Tests:       1 passed, 1 total')
    expect(result.code).toBe(0)
  })
})
