import { afterAll, describe, expect } from 'vitest'
import { test } from '@pgtestbed/vitest/test'
import { closeDatabase } from '../src/db.js'
import { addAuthor, addBook, booksBy, renameBook } from '../src/library.js'

afterAll(() => closeDatabase())

describe('books', () => {
  test('should list an author’s books by title', async () => {
    const ada = await addAuthor('Ada Lovelace', 'ada@example.com')
    await addBook(ada.id, 'Sketch of the Analytical Engine')
    await addBook(ada.id, 'Notes')
    expect((await booksBy(ada.id)).map((b) => b.title)).toEqual([
      'Notes',
      'Sketch of the Analytical Engine',
    ])
  })

  test('should move updated_at forward on a rename (the trigger from the migrations)', async () => {
    const grace = await addAuthor('Grace Hopper', 'grace@example.com')
    const book = await addBook(grace.id, 'Compilers')
    const renamed = await renameBook(book.id, 'A-0 System')
    expect(renamed.updatedAt.getTime()).toBeGreaterThan(book.updatedAt.getTime())
  })

  test('should reject an empty title and a missing author', async ({ db }) => {
    // db.pool is a second pool on the same database, closed by the fixture after the file.
    await expect(
      db.pool.query("INSERT INTO books (author_id, title) VALUES (1, '')"),
    ).rejects.toMatchObject({ code: '23514', constraint: 'books_title_check' })
    await expect(
      db.pool.query("INSERT INTO books (author_id, title) VALUES (999, 'Orphan')"),
    ).rejects.toMatchObject({ code: '23503', constraint: 'books_author_id_fkey' })
  })
})
