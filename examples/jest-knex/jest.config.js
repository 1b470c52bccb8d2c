/** @type {import('jest').Config} */
module.exports = {
  preset: '@pgtestbed/jest',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
}
