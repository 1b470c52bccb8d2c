import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { closeAdminPools, withAdminClient } from '../../src/templates/admin.js'
import { ensureTemplate } from '../../src/templates/build.js'
import { dropDatabase } from '../../src/templates/drop.js'
import { computeFingerprint } from '../../src/templates/fingerprint.js'
import { projectKeyFor } from '../../src/templates/naming.js'
import { listDatabases } from '../../src/templates/ownership.js'
import { TEST_SERVER_URL } from './pg.js'

/** A throw-away goose project in a temp folder, unique to one test (so its fingerprint is too). */
export interface GooseProject {
  /** The project folder (use as `cwd`). */
  cwd: string
  /** Absolute migrations folder. */
  migrationsDir: string
  /** Its project key (databases built for it carry it). */
  project: string
  /** Writes (or overwrites) a migration file. */
  write(name: string, text: string): Promise<void>
  /** Drops every database built for this project, then deletes the folder. */
  cleanup(): Promise<void>
}

/** The text of generated goose migration `i` (1-based): a table, an index and a function. */
export function gooseMigration(i: number): string {
  return `-- +goose Up
CREATE TABLE t${i} (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX t${i}_name_idx ON t${i} (name);
-- +goose StatementBegin
CREATE FUNCTION f${i}() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
  RETURN ${i};
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION f${i}();
DROP TABLE t${i};
`
}

/** Options for {@link gooseProject}. */
export interface GooseProjectOptions {
  /** How many generated migrations. Default: 3. */
  migrations?: number
  /** Extra files, name → text. */
  files?: Record<string, string>
}

/**
 * Creates a goose project with `migrations` generated files whose first file carries a random
 * marker, so no two projects (or test runs) share a fingerprint.
 */
export async function gooseProject(options: GooseProjectOptions = {}): Promise<GooseProject> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-h5-'))
  const migrationsDir = path.join(cwd, 'migrations')
  await mkdir(migrationsDir)
  const write = (name: string, text: string) => writeFile(path.join(migrationsDir, name), text)
  const count = options.migrations ?? 3
  const marker = `-- test project ${randomBytes(8).toString('hex')}\n`
  for (let i = 1; i <= count; i++) {
    await write(
      `${String(i).padStart(5, '0')}_step_${i}.sql`,
      (i === 1 ? marker : '') + gooseMigration(i),
    )
  }
  for (const [name, text] of Object.entries(options.files ?? {})) await write(name, text)
  const project = projectKeyFor(migrationsDir)
  return {
    cwd,
    migrationsDir,
    project,
    write,
    async cleanup() {
      await dropProjectDatabases(project)
      await rm(cwd, { recursive: true, force: true })
    },
  }
}

/** Builds (or reuses) the template of `project` on the test server (PostgreSQL 15); its name. */
export async function buildProjectTemplate(project: GooseProject): Promise<string> {
  const set = await discoverMigrations({ migrations: 'migrations', cwd: project.cwd, env: {} })
  const fingerprint = await computeFingerprint({ set, serverMajor: 15 })
  const template = await ensureTemplate({
    adminUrl: TEST_SERVER_URL,
    set,
    fingerprint,
    project: project.project,
  })
  return template.name
}

/**
 * A {@link gooseProject} factory for one test file: every project it makes is cleaned up after
 * its test, and pgtestbed's admin pools are closed after the file.
 */
export function useGooseProjects(): (options?: GooseProjectOptions) => Promise<GooseProject> {
  const projects: GooseProject[] = []
  afterEach(async () => {
    for (const p of projects.splice(0)) await p.cleanup()
  })
  afterAll(() => closeAdminPools())
  return async (options) => {
    const p = await gooseProject(options)
    projects.push(p)
    return p
  }
}

/** Drops every pgtestbed database whose record names `project` (templates, clones, pool, builds). */
export async function dropProjectDatabases(project: string): Promise<void> {
  await withAdminClient(TEST_SERVER_URL, async (client) => {
    const entries = await listDatabases(client)
    // Clones first: a template is dropped after what was cloned from it.
    const ours = entries
      .filter((e) => e.record?.project === project)
      .sort((a, b) => Number(a.record?.kind === 'template') - Number(b.record?.kind === 'template'))
    for (const entry of ours) await dropDatabase(client, entry.name)
  })
}

/** Names of the pgtestbed databases of `project`, by kind. */
export async function projectDatabases(
  project: string,
): Promise<Array<{ name: string; kind: string; isTemplate: boolean }>> {
  return withAdminClient(TEST_SERVER_URL, async (client) =>
    (await listDatabases(client))
      .filter((e) => e.record?.project === project)
      .map((e) => ({ name: e.name, kind: e.record!.kind, isTemplate: e.isTemplate })),
  )
}
