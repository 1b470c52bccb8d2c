// Runs first in every test file of a project with the pgtestbed() plugin, before the test file's
// own imports: app code that reads DATABASE_URL at import time sees the file's own database.
import { afterAll, expect, inject } from 'vitest'
import './provided.js'
import { openFileDatabase } from './worker/file-database.js'

await openFileDatabase(inject('pgtestbed'), expect.getState().testPath, {
  afterAll: (fn) => afterAll(fn),
})
