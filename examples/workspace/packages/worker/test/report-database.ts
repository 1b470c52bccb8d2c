import { appendFileSync } from 'node:fs'
import path from 'node:path'

/**
 * For the workspace CI check (examples/workspace/test): notes which database this test file got.
 * Does nothing unless PGTESTBED_EXAMPLE_REPORT_DIR is set.
 */
export function reportDatabase(testFile: string): void {
  const dir = process.env.PGTESTBED_EXAMPLE_REPORT_DIR
  if (!dir) return
  const name = new URL(process.env.DATABASE_URL ?? '').pathname.slice(1)
  appendFileSync(path.join(dir, 'databases.txt'), `worker/${testFile} ${name}\n`)
}
