/** The examples and exit codes printed after each command's `--help`. */
export const HELP = {
  program: `
Examples:
  $ pgtestbed check                         # validate, manifest, lint ./migrations
  $ pgtestbed manifest --write              # record the migrations in migrations/pgtestbed.sum
  $ PGTESTBED_URL=postgres://app@db:5432/app pgtestbed up
  $ pgtestbed status --url "$DATABASE_URL"
  $ pgtestbed diff --command "npx drizzle-kit push --force"   # the code's schema vs the migrations'
  $ pgtestbed gc --dry-run
  $ pgtestbed server stop                   # stop the embedded server a failed test's kept database keeps up

Settings come from pgtestbed.config.* (shared with @pgtestbed/vitest and @pgtestbed/jest);
flags win over the file. Exit codes: 0 ok, 1 problems found or a step failed, 2 wrong usage or config.`,
  check: `
Checks, without a database: file names, duplicate versions, parse errors in both directions,
the manifest (when declared or migrations/pgtestbed.sum exists) and unsafe-migration lint.
Findings are grouped by file, each with its code, line and fix. Lint findings are cached (in
<cache folder>/lint, like the test plugins' findings) until a migration file, the lint settings
or pgtestbed change (--no-cache lints everything).

Examples:
  $ pgtestbed check
  $ pgtestbed check --dir db/migrations --strict
  $ pgtestbed check --format json > check.json

Exit codes: 0 clean (warnings allowed), 1 errors (or warnings with --strict),
2 wrong usage, config file or migrations folder.`,
  manifest: `
pgtestbed.sum lists every migration in apply order with a chained checksum, so an unlisted,
missing, edited or reordered migration fails tests, \`pgtestbed check\` and \`pgtestbed up\`.

Examples:
  $ pgtestbed manifest --write              # after adding or (before it is applied anywhere) editing a migration
  $ pgtestbed manifest --check              # in CI or a pre-commit hook

Exit codes: 0 written or matching, 1 differences or broken migrations, 2 wrong usage.`,
  up: `
Runs each pending migration's Up section (never its Down section) and records it in the tool's
own version table (goose_db_version, schema_migrations, drizzle.__drizzle_migrations,
_prisma_migrations, pgmigrations), so goose, migrate, dbmate, drizzle, Prisma or node-pg-migrate
can take over the database and the other way round. The migrations
are validated (and compared with the manifest) first: any error stops before the database is
touched.

Examples:
  $ PGTESTBED_URL=postgres://app:secret@db:5432/app pgtestbed up
  $ pgtestbed up --url "$DATABASE_URL" --to 20240101120000
  $ pgtestbed up --allow-missing            # goose: apply out-of-order files too
  $ pgtestbed up --wait 60s                 # a database that is still starting (compose, a Job)

Runs on one database at once queue on the migration lock (the tool's own advisory lock): the
first applies, the others wait (--lock-timeout, default 5m) and find it up to date.

Exit codes: 0 up to date, 1 a migration failed (the state of the database is printed), the
server did not accept connections within --wait, or the lock wait timed out, 2 wrong usage or config.`,
  down: `
Runs the Down section of the newest applied migration (or of every migration above --to) and
updates the version table as the tool does.

Examples:
  $ pgtestbed down --url "$DATABASE_URL"
  $ pgtestbed down --to 0 --url postgres://postgres@localhost:5432/scratch

Exit codes: 0 done, 1 a Down section failed or cannot run, 2 wrong usage or config.`,
  status: `
Lists every migration file like \`goose status\`: the time it was applied (goose's ANSIC layout),
Pending, or Missing (older than the newest applied version but never applied).

Examples:
  $ pgtestbed status --url "$DATABASE_URL"
  $ pgtestbed status --check                # an initContainer or readiness gate

Exit codes: 0 printed (with --check: every migration is applied), 1 the database could not be
read (with --check: or it is dirty), 2 wrong usage or config, 3 with --check: migrations are pending.`,
  version: `
Examples:
  $ pgtestbed version --url "$DATABASE_URL"   # pgtestbed: version 12

Exit codes: 0 printed, 1 the database could not be read, 2 wrong usage or config.`,
  diff: `
Builds (or reuses) the template exactly as a test run would, then compares its schema with the
target, object by object: schemas, extensions, tables, columns (type, nullability, default,
identity, generated, collation, position), constraints, indexes, enums, sequences, views,
functions and procedures, triggers, row-level security policies and comments. The migration
tools' version tables and diff.ignore patterns are left out. Without a flag, the config's drift
target is used.

  --url       a live database: catalog queries in a READ ONLY transaction, nothing is written
  --command   runs the command with DATABASE_URL (and PGHOST, PGPORT, PGUSER, PGPASSWORD,
              PGDATABASE) set to a fresh scratch database, dropped afterwards (also on Ctrl-C)
  --file      loads a schema dump into a scratch database

Examples:
  $ pgtestbed diff --command "npx drizzle-kit push --force"
  $ pgtestbed diff --url "$STAGING_DATABASE_URL" --sql
  $ pgtestbed diff --file db/schema.sql --format json

Exit codes: 0 the schemas match, 1 they differ, 2 wrong usage, or the comparison could not be
made (a failing command or dump, migrations that do not build, a server out of reach).`,
  gc: `
Drops what crashed test runs left behind: clones whose process is gone, unfinished template
builds, old kept databases, and templates beyond the newest few per project. Only databases
with pgtestbed's name prefix AND its ownership record are ever dropped; everything else named
pgtestbed_* is listed as left alone, with the reason.

Examples:
  $ pgtestbed gc --dry-run
  $ pgtestbed gc --url postgres://postgres@ci-db:5432/postgres --older-than 2h

Exit codes: 0 done, 1 a drop failed, 2 wrong usage or config.`,
  server: `
The embedded server (the default when no URL is configured) is shared by every test run of the
workspace and stops when the last one ends, unless a failed test kept its database: then it stays
up so the printed URL works, until the next run or \`pgtestbed server stop\`. Its data lives in
memory (/dev/shm/pgtestbed-<uid>-<hash>) when a tmpfs is usable, else in the cache folder, which
always holds its state and log. The data, and so the templates, survive a stop (in memory, not a
reboot); --remove-data deletes it. All workspaces' data in memory stays within
embedded.memoryBudget (a quarter of /dev/shm by default): stopped servers' data and templates of
older schemas are evicted, least recently used first.

Examples:
  $ pgtestbed server status                 # running? pid, port, data folder (in memory or on disk), attached runs, databases, memory use
  $ pgtestbed server status --format json
  $ pgtestbed server stop                   # leaves a server that test runs use running (exit 1)
  $ pgtestbed server stop --force
  $ pgtestbed server stop --remove-data     # also delete its data: the next run starts from initdb

Exit codes: 0 done (also when nothing runs), 1 the server is in use and was left running,
2 wrong usage or config.`,
} as const
