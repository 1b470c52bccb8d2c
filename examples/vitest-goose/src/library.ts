import { pool } from './db.js'

export interface Author {
  id: number
  name: string
  email: string
}

export interface Book {
  id: number
  authorId: number
  title: string
  updatedAt: Date
}

/** Adds an author; a second author with the same email fails with PostgreSQL's 23505. */
export async function addAuthor(name: string, email: string): Promise<Author> {
  const { rows } = await pool.query<Author>(
    'INSERT INTO authors (name, email) VALUES ($1, $2) RETURNING id::int, name, email',
    [name, email],
  )
  return rows[0]!
}

/** The author with this email, or undefined. */
export async function findAuthorByEmail(email: string): Promise<Author | undefined> {
  const { rows } = await pool.query<Author>(
    'SELECT id::int, name, email FROM authors WHERE email = $1',
    [email],
  )
  return rows[0]
}

/** Adds a book by an existing author. */
export async function addBook(authorId: number, title: string): Promise<Book> {
  const { rows } = await pool.query<Book>(
    `INSERT INTO books (author_id, title) VALUES ($1, $2)
     RETURNING id::int, author_id::int AS "authorId", title, updated_at AS "updatedAt"`,
    [authorId, title],
  )
  return rows[0]!
}

/** Renames a book; the database moves its updated_at forward. */
export async function renameBook(id: number, title: string): Promise<Book> {
  const { rows } = await pool.query<Book>(
    `UPDATE books SET title = $2 WHERE id = $1
     RETURNING id::int, author_id::int AS "authorId", title, updated_at AS "updatedAt"`,
    [id, title],
  )
  return rows[0]!
}

/** An author's books, by title. */
export async function booksBy(authorId: number): Promise<Book[]> {
  const { rows } = await pool.query<Book>(
    `SELECT id::int, author_id::int AS "authorId", title, updated_at AS "updatedAt"
       FROM books WHERE author_id = $1 ORDER BY title`,
    [authorId],
  )
  return rows
}
