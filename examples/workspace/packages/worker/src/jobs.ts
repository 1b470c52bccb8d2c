import { pool } from './db'

export type JobStatus = 'queued' | 'done' | 'failed'

export async function enqueue(kind: string, payload: object = {}): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    'INSERT INTO jobs (kind, payload) VALUES ($1, $2) RETURNING id::int',
    [kind, payload],
  )
  return rows[0]!.id
}

/** Takes the oldest queued job, runs `handler` on it and records the outcome. */
export async function processNext(
  handler: (kind: string, payload: unknown) => Promise<void>,
): Promise<boolean> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const { rows } = await client.query<{ id: number; kind: string; payload: unknown }>(
      `SELECT id::int, kind, payload FROM jobs WHERE status = 'queued'
        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    )
    const job = rows[0]
    if (!job) {
      await client.query('COMMIT')
      return false
    }
    try {
      await handler(job.kind, job.payload)
      await client.query(`UPDATE jobs SET status = 'done', attempts = attempts + 1 WHERE id = $1`, [
        job.id,
      ])
    } catch (error) {
      await client.query(
        `UPDATE jobs SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`,
        [job.id, (error as Error).message],
      )
    }
    await client.query('COMMIT')
    return true
  } finally {
    client.release()
  }
}

export async function countByStatus(status: JobStatus): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM jobs WHERE status = $1',
    [status],
  )
  return rows[0]!.n
}
