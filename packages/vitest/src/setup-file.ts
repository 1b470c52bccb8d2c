// Runs first in every test file of a project with the pgtestbed() plugin, before the test file's
// own imports: app code that reads DATABASE_URL at import time sees the file's own database.
import { openTestFile } from '@pgtestbed/core/worker'
import { afterAll, expect, inject } from 'vitest'
import { vitestError } from './errors.js'
import './provided.js'

/** The task shape read here (a Vitest file task and its children). */
interface TaskLike {
  filepath?: string
  result?: { state?: string }
  tasks?: TaskLike[]
}

function hasFailure(task: TaskLike): boolean {
  return task.result?.state === 'fail' || (task.tasks ?? []).some(hasFailure)
}

// A testbed that could not start fails every file of the project with its error, which Vitest
// then prints once (see vitestError).
const file = await openTestFile(inject('pgtestbed'), {
  runner: 'vitest',
  testPath: expect.getState().testPath,
}).catch((error: unknown) => {
  throw vitestError(error)
})

// A plain function without parameters: Vitest reads a hook's first parameter as fixtures.
// Vitest 3 passes the file task first, Vitest 4.1+ second.
afterAll(async function () {
  // biome-ignore lint/complexity/noArguments: a declared parameter would be read as fixtures (above)
  const task = [...arguments].find(
    (arg): arg is TaskLike => typeof (arg as TaskLike | null)?.filepath === 'string',
  )
  await file.release(task !== undefined && hasFailure(task))
})
