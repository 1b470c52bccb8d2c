import { afterAll, describe, expect, test } from 'vitest'
import { closeDatabase } from '../src/db.js'
import { addAuthor, findAuthorByEmail } from '../src/library.js'

afterAll(() => closeDatabase())

describe('authors', () => {
  // books.test.ts adds the same author at the same time: no clash, each file has its own database.
  test('should store an author and read it back', async () => {
    const added = await addAuthor('Ada Lovelace', 'ada@example.com')
    expect(await findAuthorByEmail('ada@example.com')).toEqual(added)
  })

  test('should refuse a second author with the same email', async () => {
    await addAuthor('Grace Hopper', 'grace@example.com')
    await expect(addAuthor('Someone Else', 'grace@example.com')).rejects.toMatchObject({
      code: '23505',
      constraint: 'authors_email_key',
    })
  })
})
