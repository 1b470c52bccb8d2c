// Discovery + parse + validate of 1,000 generated goose migrations: cold (first run in a fresh
// process, nothing warmed up) and warm (median of later runs). Prints figures; never fails on them.
// Target on the 2-core dev machine: under 300 ms. Uses the built package (`pnpm --filter
// @pgtestbed/core build` first). Usage: node src/discover.bench.mjs [count] [runs]
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { discoverMigrations } from '@pgtestbed/core'

const count = Number(process.argv[2] ?? 1000)
const runs = Number(process.argv[3] ?? 7)

/** A realistic goose file: a table, an index, a function in a StatementBegin block, a Down. */
function gooseFile(n) {
  const table = `table_${n}`
  return `-- Adds ${table} and what it needs.
-- +goose Up
CREATE TABLE ${table} (
  id bigserial PRIMARY KEY,
  owner_id bigint NOT NULL,
  status text NOT NULL DEFAULT 'new',
  payload jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ${table}_owner ON ${table} (owner_id);
COMMENT ON TABLE ${table} IS 'generated; version ${n}';

-- +goose StatementBegin
CREATE FUNCTION ${table}_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := now();
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION ${table}_touch();
DROP TABLE ${table};
`
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-bench-discover-'))
try {
  await Promise.all(
    Array.from({ length: count }, (_, k) =>
      writeFile(
        path.join(dir, `${String(k + 1).padStart(5, '0')}_create_table_${k + 1}.sql`),
        gooseFile(k + 1),
      ),
    ),
  )
  const time = async () => {
    const started = performance.now()
    const set = await discoverMigrations({ migrations: dir })
    const ms = performance.now() - started
    if (set.migrations.length !== count || set.diagnostics.length > 0) {
      throw new Error(
        `unexpected result: ${set.migrations.length} migrations, ${set.diagnostics.length} diagnostics`,
      )
    }
    return ms
  }
  const cold = await time()
  const warm = []
  for (let k = 0; k < runs; k++) warm.push(await time())
  console.log(`discover ${count} goose files (list + read + parse both directions + validate)`)
  console.log(`  cold (first run in process): ${cold.toFixed(1)} ms`)
  console.log(
    `  warm (median of ${runs}):     ${median(warm).toFixed(1)} ms   (min ${Math.min(...warm).toFixed(1)}, max ${Math.max(...warm).toFixed(1)})`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
