import { pool } from './db'

export interface List {
  id: number
  name: string
}

export interface Todo {
  id: number
  listId: number
  title: string
  done: boolean
}

export async function createList(name: string): Promise<List> {
  const { rows } = await pool.query<List>(
    'INSERT INTO lists (name) VALUES ($1) RETURNING id, name',
    [name],
  )
  return rows[0]!
}

export async function addTodo(listId: number, title: string): Promise<Todo> {
  const { rows } = await pool.query<Todo>(
    `INSERT INTO todos (list_id, title) VALUES ($1, $2)
     RETURNING id, list_id AS "listId", title, done`,
    [listId, title],
  )
  return rows[0]!
}

export async function completeTodo(id: number): Promise<void> {
  await pool.query('UPDATE todos SET done = true WHERE id = $1', [id])
}

export async function openTodos(listId: number): Promise<string[]> {
  const { rows } = await pool.query<{ title: string }>(
    'SELECT title FROM todos WHERE list_id = $1 AND NOT done ORDER BY id',
    [listId],
  )
  return rows.map((row) => row.title)
}

export async function comment(todoId: number, body: string): Promise<void> {
  await pool.query('INSERT INTO comments (todo_id, body) VALUES ($1, $2)', [todoId, body])
}

export async function deleteList(id: number): Promise<void> {
  await pool.query('DELETE FROM lists WHERE id = $1', [id])
}

export async function countRows(table: 'lists' | 'todos' | 'comments'): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)
  return rows[0]!.n
}
