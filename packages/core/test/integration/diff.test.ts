import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { compareSchemas } from '../../src/diff/compare.js'
import { inspectSchema } from '../../src/diff/inspect.js'
import { diffTemplate } from '../../src/diff/run.js'
import { migrationSql } from '../../src/diff/sql.js'
import type { DiffTarget } from '../../src/diff/targets.js'
import { isPgtestbedError, type PgtestbedError } from '../../src/errors.js'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import { applyMigrations } from '../../src/migrations/database/apply.js'
import { DriftError } from '../../src/testbed/drift.js'
import { startTestbed } from '../../src/testbed/start.js'
import type { Testbed, TestbedOptions } from '../../src/testbed/types.js'
import { catalogDigest, scratchDatabases } from '../helpers/diff.js'
import {
  gooseMigration,
  projectDatabases,
  useGooseProjects,
  type GooseProject,
} from '../helpers/goose-project.js'
import { queryRows, TEST_SERVER_URL, withScratchDatabase } from '../helpers/pg.js'

const project = useGooseProjects()
const BUILD_SCHEMA = fileURLToPath(new URL('../fixtures/diff/build-schema.mjs', import.meta.url))

/** The SQL of generated goose migration `i`'s Up section, as the code would declare it. */
function upSql(i: number): string {
  return gooseMigration(i)
    .split('-- +goose Down')[0]!
    .split('\n')
    .filter((line) => !line.startsWith('-- +goose'))
    .join('\n')
}

function options(p: GooseProject, extra: TestbedOptions = {}): TestbedOptions {
  return { server: 'url', url: TEST_SERVER_URL, cwd: p.cwd, env: {}, sweep: false, ...extra }
}

async function diffWith(testbed: Testbed, p: GooseProject, target: DiffTarget, ignore?: string[]) {
  return diffTemplate({
    source: testbed.info,
    set: testbed.set,
    target,
    cwd: p.cwd,
    ...(ignore ? { diff: { ignore } } : {}),
  })
}

/** A database the user owns (not pgtestbed's), with the project's migrations applied by the tool's rules. */
async function withLiveDatabase<T>(
  p: GooseProject,
  fn: (url: string, run: (sql: string) => Promise<unknown>) => Promise<T>,
): Promise<T> {
  return withScratchDatabase(async (client, url) => {
    const set = await discoverMigrations({ migrations: 'migrations', cwd: p.cwd, env: {} })
    await applyMigrations(client, set)
    return fn(url, (sql) => client.query(sql))
  })
}

describe('pgtestbed diff against a live database (--url)', () => {
  test('should find what was changed by hand, and leave the database byte for byte as it was', async () => {
    const p = await project({ migrations: 2 })
    await using testbed = await startTestbed(options(p))
    await withLiveDatabase(p, async (url, run) => {
      expect((await diffWith(testbed, p, { url })).diff.same).toBe(true)
      const untouched = await catalogDigest(url)
      await run(`ALTER TABLE t1 ADD COLUMN nickname text;
        ALTER TABLE t2 ALTER COLUMN created_at SET DEFAULT clock_timestamp();
        CREATE INDEX t2_created_idx ON t2 (created_at DESC) WHERE name <> '';
        COMMENT ON COLUMN t1.name IS 'shown to other users'`)
      const before = await catalogDigest(url)
      // The digest sees a change as small as a comment or a default.
      expect(before).not.toBe(untouched)
      const { diff, labels } = await diffWith(testbed, p, { url })
      expect(await catalogDigest(url)).toBe(before)

      expect(labels).toEqual({ expected: 'migrations', actual: 'live database' })
      expect(diff.groups.map((g) => [g.id, g.origin])).toEqual([
        ['public.t1', 'migrations/00001_step_1.sql:8'],
        ['public.t2', 'migrations/00002_step_2.sql:7'],
      ])
      expect(diff.groups.flatMap((g) => g.differences)).toEqual([
        {
          kind: 'column',
          id: 'public.t1.name',
          change: 'changed',
          attribute: 'comment',
          expected: null,
          actual: 'shown to other users',
        },
        {
          kind: 'column',
          id: 'public.t1.nickname',
          change: 'only-actual',
          expected: null,
          actual: 'text (position 4)',
        },
        {
          kind: 'column',
          id: 'public.t2.created_at',
          change: 'changed',
          attribute: 'default',
          expected: 'now()',
          actual: 'clock_timestamp()',
        },
        {
          kind: 'index',
          id: 'public.t2_created_idx',
          change: 'only-actual',
          expected: null,
          actual:
            "CREATE INDEX t2_created_idx ON public.t2 USING btree (created_at DESC) WHERE (name <> ''::text)",
        },
      ])
    })
  })

  test('should leave out the version table and what diff.ignore names', async () => {
    const p = await project({ migrations: 1 })
    await using testbed = await startTestbed(options(p))
    await withLiveDatabase(p, async (url, run) => {
      await run(`CREATE SCHEMA partman; CREATE TABLE partman.part_config (id int);
        CREATE TABLE audit_2024 (id int PRIMARY KEY); CREATE TABLE audit_2025 (id int)`)
      const { diff } = await diffWith(testbed, p, { url }, [
        'schema partman',
        'table public.audit_*',
      ])
      expect(diff).toEqual({ same: true, groups: [] })
      // Ignoring the tables only: the schema is still different.
      const partly = await diffWith(testbed, p, { url }, [
        'table partman.*',
        'table public.audit_*',
      ])
      expect(partly.diff.groups.map((g) => `${g.kind} ${g.id}`)).toEqual(['schema partman'])
    })
  })

  test('should name a database it cannot reach, without its password', async () => {
    const p = await project({ migrations: 1 })
    await using testbed = await startTestbed(options(p))
    const url = new URL(TEST_SERVER_URL)
    url.pathname = '/pgtestbed_no_such_database'
    url.password = 'secret-password'
    const error = (await diffWith(testbed, p, { url: url.toString() }).catch(
      (e) => e,
    )) as PgtestbedError
    expect(error.code).toBe('SERVER_UNREACHABLE')
    expect(error.message).toContain('database "pgtestbed_no_such_database"')
    expect(error.message).not.toContain('secret-password')
  })
})

describe('the statements of --sql', () => {
  test('should turn the migrations schema into the target schema, whatever kind of object differs', async () => {
    const p = await project({
      migrations: 2,
      files: {
        '00003_more.sql': `-- +goose Up
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE people (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mood mood, score int, doubled int GENERATED ALWAYS AS (score * 2) STORED, nick varchar(20));
CREATE SEQUENCE ticket_seq INCREMENT 5;
CREATE VIEW sad_people AS SELECT id FROM people WHERE mood = 'sad';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER people_touch BEFORE UPDATE ON people FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE people ENABLE ROW LEVEL SECURITY;
CREATE POLICY people_read ON people FOR SELECT USING (score > 0);
-- +goose Down
SELECT 1;
`,
      },
    })
    await using testbed = await startTestbed(options(p))
    await withLiveDatabase(p, async (url, run) => {
      await run(`ALTER TYPE mood ADD VALUE 'happy' BEFORE 'ok';
        ALTER TABLE people ALTER COLUMN nick TYPE text, ALTER COLUMN score SET DEFAULT 10, ALTER COLUMN score SET NOT NULL;
        ALTER TABLE people ADD COLUMN email text COLLATE "C" UNIQUE;
        ALTER TABLE people ADD CONSTRAINT score_positive CHECK (score > 0);
        ALTER SEQUENCE ticket_seq INCREMENT 10;
        CREATE OR REPLACE VIEW sad_people AS SELECT id, score FROM people WHERE mood = 'sad';
        CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.score := NEW.score + 1; RETURN NEW; END $$;
        DROP TRIGGER people_touch ON people;
        CREATE TRIGGER people_touch BEFORE INSERT OR UPDATE ON people FOR EACH ROW EXECUTE FUNCTION touch();
        DROP POLICY people_read ON people;
        CREATE POLICY people_read ON people FOR SELECT USING (score > 1);
        CREATE TABLE invoices (id bigserial PRIMARY KEY, person int NOT NULL REFERENCES people (id), total numeric(10, 2) DEFAULT 0);
        CREATE INDEX invoices_person_idx ON invoices (person);
        COMMENT ON TABLE invoices IS 'what people owe';
        DROP INDEX t1_name_idx;
        DROP FUNCTION f2()`)
      const { diff, expected, actual } = await diffWith(testbed, p, { url })
      const kinds = new Set(diff.groups.flatMap((g) => g.differences.map((d) => d.kind)))
      expect([...kinds].sort()).toEqual([
        'column',
        'constraint',
        'enum',
        'function',
        'index',
        'policy',
        'sequence',
        'table',
        'trigger',
        'view',
      ])
      const statements = migrationSql(diff, expected, actual)
      // Applied to a copy of the template, they give the live database's schema.
      await using copy = await testbed.clone({ label: 'sql round trip' })
      await queryRows(copy.url, statements.join('\n'))
      const after = await inspectAt(copy.url)
      expect(compareSchemas(after, actual)).toEqual({ same: true, groups: [] })
    })
  })
})

async function inspectAt(url: string) {
  const pg = (await import('pg')).default
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await inspectSchema(client, { versionTables: [{ table: 'goose_db_version' }] })
  } finally {
    await client.end()
  }
}

describe('pgtestbed diff against a schema file (--file)', () => {
  const dump = fileURLToPath(new URL('../fixtures/diff/schema.sql', import.meta.url))

  test('should load a pg_dump file (psql meta-commands, settings of a newer pg_dump, data) and compare it', async () => {
    const p = await project({ migrations: 2 })
    await using testbed = await startTestbed(options(p))
    expect((await diffWith(testbed, p, { file: dump })).diff.same).toBe(true)

    const edited = path.join(p.cwd, 'schema.sql')
    const text = await readFile(dump, 'utf8')
    await writeFile(
      edited,
      text.replace('    name text NOT NULL,\n', '    name character varying(80) NOT NULL,\n'),
    )
    const { diff, labels, targetDescription } = await diffWith(testbed, p, { file: 'schema.sql' })
    expect(labels.actual).toBe('schema file')
    expect(targetDescription).toBe('schema.sql')
    expect(diff.groups.flatMap((g) => g.differences)).toEqual([
      expect.objectContaining({
        id: 'public.t1.name',
        attribute: 'type',
        expected: 'text',
        actual: 'character varying(80)',
      }),
    ])
    expect(await scratchDatabases(p.project)).toEqual([])
  })

  test('should stop at a statement that fails, with the file, the line, the error and the fix', async () => {
    const p = await project({ migrations: 1 })
    await using testbed = await startTestbed(options(p))
    await writeFile(
      path.join(p.cwd, 'owned.sql'),
      'CREATE TABLE t1 (id int);\n\nALTER TABLE t1 OWNER TO pgtestbed_no_such_role;\n',
    )
    const error = (await diffWith(testbed, p, { file: 'owned.sql' }).catch(
      (e) => e,
    )) as PgtestbedError
    expect(error.code).toBe('DIFF_FILE_FAILED')
    expect(error.message).toContain(
      'loading owned.sql failed at line 3: ERROR 42704: role "pgtestbed_no_such_role" does not exist',
    )
    expect(error.fix).toContain('--no-owner --no-privileges')
    expect(await scratchDatabases(p.project)).toEqual([])
  })
})

describe("pgtestbed diff against the code's schema (--command)", () => {
  test('should run the command against a scratch database named in DATABASE_URL and PG*, then drop it', async () => {
    const p = await project({ migrations: 2 })
    await writeFile(path.join(p.cwd, 'schema.sql'), `${upSql(1)}\n${upSql(2)}`)
    await using testbed = await startTestbed(options(p))
    const command = `node ${BUILD_SCHEMA} schema.sql runs.txt`
    const { diff, labels, targetDescription } = await diffWith(testbed, p, { command })
    expect(diff.same).toBe(true)
    expect([labels.actual, targetDescription]).toEqual(["code's schema", command])
    const [database] = (await readFile(path.join(p.cwd, 'runs.txt'), 'utf8')).trim().split('\n')
    expect(database).toMatch(/^pgtestbed_s_[0-9a-f]{16}$/)
    expect(await scratchDatabases(p.project)).toEqual([])
  })

  test('should report a failing command with its exit code and output, and drop its scratch database', async () => {
    const p = await project({ migrations: 1 })
    await using testbed = await startTestbed(options(p))
    const command = `node -e "console.log('pushing to ' + process.env.PGDATABASE); console.error('relation users already exists'); process.exit(3)"`
    const error = (await diffWith(testbed, p, { command }).catch((e) => e)) as PgtestbedError
    expect(isPgtestbedError(error) && error.code).toBe('DIFF_COMMAND_FAILED')
    expect(error.message).toMatch(
      /^the command `node -e .*` \(in .*\) exited with code 3; its scratch database pgtestbed_s_[0-9a-f]{16} was dropped\.\nIts output:\n {2}\| pushing to pgtestbed_s_[0-9a-f]{16}\n {2}\| relation users already exists$/,
    )
    expect(error.fix).toContain('DATABASE_URL')
    expect(await scratchDatabases(p.project)).toEqual([])
  })
})

describe('the drift option of a test run', () => {
  test('should pass before any test when the code builds the same schema, and not run the command again while nothing changed', async () => {
    const p = await project({ migrations: 2 })
    await writeFile(path.join(p.cwd, 'schema.sql'), `${upSql(1)}\n${upSql(2)}`)
    const runs = path.join(p.cwd, 'runs.txt')
    const drift = { command: `node ${BUILD_SCHEMA} schema.sql runs.txt`, inputs: ['schema.sql'] }
    const cacheDir = path.join(p.cwd, 'cache')
    const countRuns = async () => (await readFile(runs, 'utf8')).trim().split('\n').length

    await (await startTestbed(options(p, { drift, cacheDir }))).close()
    expect(await countRuns()).toBe(1)
    // A warm run (a new process would read the same cache folder) does not run the command.
    await (await startTestbed(options(p, { drift, cacheDir }))).close()
    expect(await countRuns()).toBe(1)
    // An edited input runs it again; the schema still matches (a comment is not schema).
    await writeFile(path.join(p.cwd, 'schema.sql'), `-- edited\n${upSql(1)}\n${upSql(2)}`)
    await (await startTestbed(options(p, { drift, cacheDir }))).close()
    expect(await countRuns()).toBe(2)
    expect(await scratchDatabases(p.project)).toEqual([])
  })

  test('should fail the run with DRIFT_DETECTED, the report and the fix, before any clone exists', async () => {
    const p = await project({ migrations: 2 })
    await writeFile(
      path.join(p.cwd, 'schema.sql'),
      `${upSql(1).replace('name text NOT NULL', 'name text NOT NULL,\n  email text')}\n${upSql(2)}`,
    )
    const command = `node ${BUILD_SCHEMA} schema.sql`
    const error = (await startTestbed(options(p, { drift: { command } })).catch(
      (e) => e,
    )) as DriftError
    expect(error).toBeInstanceOf(DriftError)
    expect(error.code).toBe('DRIFT_DETECTED')
    expect(error.message).toBe(
      `the migrations in migrations build another schema than the code's schema (${command}): 1 difference in 1 object\n` +
        '  table public.t1  (last changed by migrations/00001_step_1.sql:8)\n' +
        "    column email: only in the code's schema: text (position 3)",
    )
    expect(error.fix).toContain(
      `\`npx pgtestbed diff --command '${command}' --sql\` prints its statements`,
    )
    const kinds = (await projectDatabases(p.project)).map((d) => d.kind)
    expect(kinds).toEqual(['template'])
  })

  test('should reject a drift option with two targets before anything starts', async () => {
    const p = await project({ migrations: 1 })
    const error = (await startTestbed(
      options(p, { drift: { command: 'true', url: TEST_SERVER_URL } as never }),
    ).catch((e) => e)) as PgtestbedError
    expect(error.code).toBe('INVALID_OPTIONS')
    expect(error.message).toBe(
      '`drift` must have exactly one of command, url, file; it has command and url',
    )
  })
})
