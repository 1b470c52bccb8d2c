// For `node --test --test-global-setup=./node_modules/@pgtestbed/node-test/global-setup.js`
// (Node 24+): Node reads that flag as a file path, not a package name, so the file sits here.
export { globalSetup, globalTeardown } from './dist/global-setup.js'
