// The globalSetup the pgtestbed() plugin adds to every project (Vitest imports it by path).
export { setupProject as default } from './node/setup-project.js'
