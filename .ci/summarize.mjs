// Sums the reports the test runners wrote and prints one final line: `N passed, N failed`.
// - JSON (Vitest's json reporter and Jest's --json share the numPassedTests / numFailedTests /
//   numFailedTestSuites fields): a suite that failed to load without a failing test counts as one
//   failure.
// - JUnit XML from `node --test --test-reporter=junit`: its closing `<!-- pass N -->`,
//   `<!-- fail N -->` and `<!-- cancelled N -->` comments (a file that fails to load is a failed
//   test there; a cancelled test counts as failed).
// Every failed test is listed under its report with the first lines of its message, so a CI log
// that keeps only its tail still names what failed.
// Usage: node .ci/summarize.mjs <root> [<extra passed> <extra failed>]
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'

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

/** The first lines of a failure message, indented under its test, colour codes removed. */
function excerpt(message) {
  const lines = stripVTControlCharacters(String(message ?? ''))
    .split('\n')
    .filter((line) => line.trim() !== '')
  return lines
    .slice(0, 6)
    .map((line) => `        ${line.slice(0, 300)}`)
    .join('\n')
}

/** `[passed, failed, failures]` of node:test's JUnit report. */
function countJunit(text) {
  const count = (what) => Number(new RegExp(`<!-- ${what} (\\d+) -->`).exec(text)?.[1] ?? 0)
  if (!text.includes('<!-- pass ')) return [0, 1, ['the run was cut short (no totals)']]
  const failures = [
    ...text.matchAll(/<testcase [^>]*name="([^"]*)"[^>]*>\s*<failure[^>]*message="([^"]*)"/g),
  ].map(([, name, message]) => `${name}\n${excerpt(message)}`)
  return [count('pass'), count('fail') + count('cancelled'), failures]
}

/** `[passed, failed, failures]` of a Vitest or Jest JSON report. */
function countJson(text) {
  const report = JSON.parse(text)
  const p = Number(report.numPassedTests ?? 0)
  let f = Number(report.numFailedTests ?? 0)
  if (f === 0) f += Number(report.numFailedTestSuites ?? 0)
  const failures = []
  for (const suite of report.testResults ?? []) {
    const file = path.relative(root, suite.name ?? '')
    const failed = (suite.assertionResults ?? []).filter((test) => test.status === 'failed')
    for (const test of failed) {
      failures.push(`${file} > ${test.fullName}\n${excerpt(test.failureMessages?.join('\n'))}`)
    }
    if (failed.length === 0 && suite.status === 'failed') {
      failures.push(`${file} (did not load)\n${excerpt(suite.message)}`)
    }
  }
  return [p, f, failures]
}

for (const file of reports) {
  const text = readFileSync(path.join(root, file), 'utf8')
  const [p, f, failures] = file.endsWith('.xml') ? countJunit(text) : countJson(text)
  console.log(`  ${file}: ${p} passed, ${f} failed`)
  for (const failure of failures) console.log(`    ✗ ${failure}`)
  passed += p
  failed += f
}
console.log(`${passed} passed, ${failed} failed`)
