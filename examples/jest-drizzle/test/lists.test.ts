import { afterAll, expect, test } from '@jest/globals'
import { pool } from '../src/db'
import { addTodo, completeTodo, countRows, createList, openTodos } from '../src/todos'

afterAll(() => pool.end())

test('a new list starts empty and ids start at 1: this file has its own database', async () => {
  const list = await createList('groceries')
  expect(list).toEqual({ id: 1, name: 'groceries' })
  expect(await openTodos(list.id)).toEqual([])
})

test('completed todos leave the open list', async () => {
  const list = await createList('chores')
  const dishes = await addTodo(list.id, 'dishes')
  await addTodo(list.id, 'laundry')
  await completeTodo(dishes.id)
  expect(await openTodos(list.id)).toEqual(['laundry'])
  expect(await countRows('lists')).toBe(2)
})

test('list names are unique (the migration’s constraint)', async () => {
  await expect(createList('groceries')).rejects.toThrow(
    'duplicate key value violates unique constraint "lists_name_unique"',
  )
})
