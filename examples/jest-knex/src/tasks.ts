import { db } from './db'

/** A project row. */
export interface Project {
  id: number
  name: string
}

/** Creates a project; names are unique. */
export async function createProject(name: string): Promise<Project> {
  const [project] = await db<Project>('projects').insert({ name }).returning(['id', 'name'])
  return project!
}

/** Adds an open task to a project; returns its id. */
export async function addTask(projectId: number, title: string): Promise<number> {
  const [task] = await db('tasks').insert({ project_id: projectId, title }).returning('id')
  return (task as { id: number }).id
}

/** Marks a task done. */
export async function finishTask(taskId: number): Promise<void> {
  await db('tasks').where({ id: taskId }).update({ done: true })
}

/** The titles of a project's open tasks, oldest first. */
export async function openTasks(projectId: number): Promise<string[]> {
  const rows = await db('tasks').where({ project_id: projectId, done: false }).orderBy('id')
  return rows.map((row: { title: string }) => row.title)
}

/** Deletes a project and, through ON DELETE CASCADE, its tasks. */
export async function deleteProject(projectId: number): Promise<void> {
  await db('projects').where({ id: projectId }).delete()
}

/** How many rows a table holds. */
export async function countRows(table: 'projects' | 'tasks'): Promise<number> {
  const [row] = await db(table).count<{ count: string }[]>({ count: '*' })
  return Number(row!.count)
}
