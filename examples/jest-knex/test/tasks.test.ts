import { afterAll, expect, test } from '@jest/globals'
import { db } from '../src/db'
import { addTask, countRows, createProject, finishTask, openTasks } from '../src/tasks'

afterAll(() => db.destroy())

test('sees none of the rows other test files write', async () => {
  expect(await countRows('projects')).toBe(0)
})

test('finished tasks leave the open list', async () => {
  // projects.test.ts creates a project named "website" too, at the same time: no clash.
  const project = await createProject('website')
  const copy = await addTask(project.id, 'copy')
  await addTask(project.id, 'images')
  await finishTask(copy)
  expect(await openTasks(project.id)).toEqual(['images'])
})

test('project names are unique (the first migration)', async () => {
  await createProject('mobile')
  await expect(createProject('mobile')).rejects.toThrow(
    'duplicate key value violates unique constraint "projects_name_unique"',
  )
})
