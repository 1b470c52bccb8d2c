// Sums the JSON reports the test runners wrote (Vitest's json reporter and Jest's --json share the
// numPassedTests / numFailedTests / numFailedTestSuites fields) and prints one final line:
// `N passed, N failed`. A suite that failed to load without a failing test counts as one failure.
// Usage: node .ci/summarize.mjs <root> [<extra passed> <extra failed>]
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(process.argv[2] ?? '.')
let passed = Number(process.argv[3] ?? 0)
let failed = Number(process.argv[4] ?? 0)

/** `test-results/*.json` below `dir`, relative to root; node_modules, fixtures and links skipped. */
function findReports(dir) {
  const found = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory() && !/^(node_modules|fixtures|\.git)$/.test(entry.name)) {
      found.push(...findReports(full))
    } else if (
      entry.isFile() &&
      entry.name.endsWith('.json') &&
      path.basename(dir) === 'test-results'
    ) {
      found.push(path.relative(root, full))
    }
  }
  return found
}

const reports = findReports(root).sort()

for (const file of reports) {
  const report = JSON.parse(readFileSync(path.join(root, file), 'utf8'))
  const p = Number(report.numPassedTests ?? 0)
  let f = Number(report.numFailedTests ?? 0)
  if (f === 0) f += Number(report.numFailedTestSuites ?? 0)
  console.log(`  ${file}: ${p} passed, ${f} failed`)
  passed += p
  failed += f
}
console.log(`${passed} passed, ${failed} failed`)
