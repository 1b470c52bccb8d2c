import { afterAll, expect, test } from '@jest/globals'
import { db } from '../src/db'
import { addTask, countRows, createProject, deleteProject, openTasks } from '../src/tasks'

afterAll(() => db.destroy())

test('a new project starts empty and ids start at 1: this file has its own database', async () => {
  const project = await createProject('website')
  expect(project).toEqual({ id: 1, name: 'website' })
  expect(await openTasks(project.id)).toEqual([])
})

test('deleting a project deletes its tasks (ON DELETE CASCADE from the second migration)', async () => {
  const project = await createProject('launch')
  await addTask(project.id, 'write the announcement')
  await deleteProject(project.id)
  expect(await countRows('tasks')).toBe(0)
})

test('the template holds the history Knex writes: knex_migrations, one batch', async () => {
  const rows = await db('knex_migrations').select('name', 'batch').orderBy('id')
  expect(rows).toEqual([
    { name: '20240110120000_create_projects.js', batch: 1 },
    { name: '20240112093000_create_tasks.js', batch: 1 },
  ])
})
