// `preset: '@pgtestbed/jest'` loads this file (Jest looks for <package>/jest-preset.js).
const { preset } = require('./dist/index.js')

module.exports = {
  ...preset,
  // Jest's defaults plus `sql`, so that watch mode also reruns when a migration changes.
  moduleFileExtensions: ['js', 'mjs', 'cjs', 'jsx', 'ts', 'tsx', 'json', 'node', 'sql'],
}
