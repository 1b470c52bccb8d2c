/** @type {import('jest').Config} */
module.exports = {
  preset: '@pgtestbed/jest',
  testEnvironmentOptions: {
    pgtestbed: { migrations: './drizzle' },
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
}
