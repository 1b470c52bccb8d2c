// Sums the reports the test runners wrote and prints one final line: `N passed, N failed`.
// - JSON (Vitest's json reporter and Jest's --json share the numPassedTests / numFailedTests /
//   numFailedTestSuites fields): a suite that failed to load without a failing test counts as one
//   failure.
// - JUnit XML from `node --test --test-reporter=junit`: its closing `<!-- pass N -->`,
//   `<!-- fail N -->` and `<!-- cancelled N -->` comments (a file that fails to load is a failed
//   test there; a cancelled test counts as failed).
// Usage: node .ci/summarize.mjs <root> [<extra passed> <extra failed>]
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(process.argv[2] ?? '.')
let passed = Number(process.argv[3] ?? 0)
let failed = Number(process.argv[4] ?? 0)

/** `test-results/*.{json,xml}` below `dir`, relative to root; node_modules, fixtures and links skipped. */
function findReports(dir) {
  const found = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory() && !/^(node_modules|fixtures|\.git)$/.test(entry.name)) {
      found.push(...findReports(full))
    } else if (
      entry.isFile() &&
      /\.(json|xml)$/.test(entry.name) &&
      path.basename(dir) === 'test-results'
    ) {
      found.push(path.relative(root, full))
    }
  }
  return found
}

const reports = findReports(root).sort()

/** `[passed, failed]` of node:test's JUnit report. */
function countJunit(text) {
  const count = (what) => Number(new RegExp(`<!-- ${what} (\\d+) -->`).exec(text)?.[1] ?? 0)
  if (!text.includes('<!-- pass ')) return [0, 1] // cut short: the run did not finish
  return [count('pass'), count('fail') + count('cancelled')]
}

/** `[passed, failed]` of a Vitest or Jest JSON report. */
function countJson(text) {
  const report = JSON.parse(text)
  const p = Number(report.numPassedTests ?? 0)
  let f = Number(report.numFailedTests ?? 0)
  if (f === 0) f += Number(report.numFailedTestSuites ?? 0)
  return [p, f]
}

for (const file of reports) {
  const text = readFileSync(path.join(root, file), 'utf8')
  const [p, f] = file.endsWith('.xml') ? countJunit(text) : countJson(text)
  console.log(`  ${file}: ${p} passed, ${f} failed`)
  passed += p
  failed += f
}
console.log(`${passed} passed, ${failed} failed`)
