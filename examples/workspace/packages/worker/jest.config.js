/** @type {import('jest').Config} */
module.exports = {
  // The preset gives each test file its own database (DATABASE_URL); the migrations folder comes
  // from ../../pgtestbed.config.json, shared with the api package.
  preset: '@pgtestbed/jest',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
}
