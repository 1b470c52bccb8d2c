import { afterAll, expect, test } from '@jest/globals'
import { pool } from '../src/db'
import { addTodo, comment, countRows, createList, deleteList } from '../src/todos'

afterAll(() => pool.end())

test('sees none of the rows other test files write', async () => {
  expect(await countRows('lists')).toBe(0)
  expect(await countRows('todos')).toBe(0)
})

test('deleting a list deletes its todos and their comments (ON DELETE cascade)', async () => {
  const list = await createList('groceries')
  const todo = await addTodo(list.id, 'milk')
  await comment(todo.id, 'oat, not dairy')
  await deleteList(list.id)
  expect(await countRows('todos')).toBe(0)
  expect(await countRows('comments')).toBe(0)
})

test('a comment needs an existing todo (the foreign key from migration 0001)', async () => {
  await expect(comment(999, 'orphan')).rejects.toThrow(
    'violates foreign key constraint "comments_todo_id_todos_id_fk"',
  )
})
