import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fixture, runCli } from './run-cli.js'

interface JsonDiagnostic {
  severity: string
  code: string
  message: string
  file?: string
  relativeFile?: string
  line?: number
  fix?: string
  related?: { file: string; relativeFile: string; line?: number }[]
}

interface CheckDocument {
  ok: boolean
  exitCode: number
  strict: boolean
  config: string | null
  migrations: { dir: string; relativeDir: string; format: string | null; count: number }
  manifest: unknown
  steps: Record<string, { ran: boolean; skipped?: string }>
  diagnostics: JsonDiagnostic[]
  summary: { errors: number; warnings: number; files: number; migrations: number; ms: number }
}

async function checkJson(name: string, ...args: string[]) {
  const run = await runCli(['check', '--format', 'json', ...args], { cwd: fixture(name) })
  return { run, doc: JSON.parse(run.stdout) as CheckDocument }
}

/** The lines of the block printed under `file` (until the next blank line). */
function blockOf(stdout: string, file: string): string {
  const lines = stdout.split('\n')
  const start = lines.indexOf(file)
  expect(start, `no block for ${file} in:\n${stdout}`).toBeGreaterThanOrEqual(0)
  const end = lines.indexOf('', start)
  return lines.slice(start + 1, end).join('\n')
}

describe('pgtestbed check', () => {
  it('should exit 0 with a one-line summary when the migrations are clean', async () => {
    const run = await runCli(['check', '--no-cache'], { cwd: fixture('goose-clean') })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^✔ no problems · 3 goose migrations in migrations\/ · validation, no manifest, lint · \d+ ms\n$/,
    )
    expect(run.stderr).toBe('')
  })

  it('should fail a pre-commit check on a statement PostgreSQL cannot parse, naming file and line', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'pgtestbed-parse-'))
    try {
      await mkdir(path.join(project, 'migrations'))
      await writeFile(
        path.join(project, 'migrations', '00001_users.sql'),
        '-- +goose Up\nCREATE TABLE users (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN name text NOT NUL;\n\n-- +goose Down\nDROP TABLE users;\n',
      )
      const run = await runCli(['check'], { cwd: project })
      expect(run.code).toBe(1)
      const block = blockOf(run.stdout, 'migrations/00001_users.sql')
      expect(block).toMatch(/^\s+3 {2}error {4}LINT_PARSE_FAILED {2}PostgreSQL's parser rejects/)
      expect(block).toContain('fix: fix the SQL')
    } finally {
      await rm(project, { recursive: true, force: true })
    }
  })

  it('should name both files of a duplicate version 021 in a block per file with line and fix, and exit 1 (incident 3)', async () => {
    const run = await runCli(['check'], { cwd: fixture('incident-duplicate-021') })
    expect(run.code).toBe(1)
    const block = blockOf(run.stdout, 'migrations/021_create_notification_audit_table.sql')
    expect(block).toMatch(/^\s+1 {2}error {4}DUPLICATE_VERSION {2}version 21 is used by two files/)
    expect(block).toContain(
      '021_add_status_reason_column.sql and 021_create_notification_audit_table.sql',
    )
    expect(block).toContain('see: migrations/021_add_status_reason_column.sql:1')
    expect(block).toMatch(
      /fix: rename 021_create_notification_audit_table\.sql to 022_create_notification_audit_table\.sql: it is the newer file/,
    )
    expect(run.stdout).toMatch(/✖ 1 error in 1 file · 2 goose migrations in migrations\//)
  })

  it('should pass warnings with exit 0, and fail them with --strict', async () => {
    const plain = await runCli(['check'], { cwd: fixture('goose-warning') })
    expect(plain.code).toBe(0)
    expect(blockOf(plain.stdout, 'migrations/003_create_teams.sql')).toContain(
      'warning  VERSION_GAP  version 2 is missing',
    )
    expect(plain.stdout).toMatch(/⚠ 1 warning in 1 file · /)

    const strict = await runCli(['check', '--strict'], { cwd: fixture('goose-warning') })
    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(/✖ 1 warning in 1 file \(--strict: warnings fail the check\) · /)
  })

  it('should honour ignore globs and per-path lint overrides from the config, --strict included', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'pgtestbed-overrides-'))
    try {
      const dir = path.join(project, 'migrations')
      await mkdir(path.join(dir, 'archive'), { recursive: true })
      await writeFile(
        path.join(dir, '00001_create.sql'),
        '-- +goose Up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n\n-- +goose Down\nDROP TABLE a;\n',
      )
      await writeFile(
        path.join(dir, '00002_drop_b.sql'),
        "-- +goose Up\nSET lock_timeout = '5s';\nDROP TABLE b;\n\n-- +goose Down\nCREATE TABLE b (id int);\n",
      )
      await writeFile(path.join(dir, 'archive', '001_old.sql'), 'SELECT 1;\n')
      await writeFile(path.join(dir, 'README.md'), '# migrations\n')
      const strict = () => runCli(['check', '--strict', '--format', 'json'], { cwd: project })

      const before = await strict()
      expect(before.code).toBe(1)
      const found = (JSON.parse(before.stdout) as CheckDocument).diagnostics
      expect(found.map((d) => `${d.relativeFile} ${d.code}`).sort()).toEqual([
        'migrations/00002_drop_b.sql LINT_DROP_TABLE',
        'migrations/00002_drop_b.sql LINT_DROP_WITHOUT_IF_EXISTS',
        'migrations/README.md STRAY_FILE',
        'migrations/archive/001_old.sql STRAY_FILE',
      ])

      await writeFile(
        path.join(project, 'pgtestbed.config.json'),
        JSON.stringify({
          ignore: ['README.md', 'archive'],
          lint: {
            overrides: [
              {
                files: ['00002_*.sql'],
                rules: { LINT_DROP_TABLE: 'off', LINT_DROP_WITHOUT_IF_EXISTS: 'off' },
              },
            ],
          },
        }),
      )
      const after = await strict()
      expect(after.code, after.stdout).toBe(0)
      expect((JSON.parse(after.stdout) as CheckDocument).diagnostics).toEqual([])
    } finally {
      await rm(project, { recursive: true, force: true })
    }
  })

  it('should print one JSON document with absolute and relative paths, steps and a summary', async () => {
    const { run, doc } = await checkJson('incident-duplicate-021')
    expect(run.code).toBe(1)
    const dir = path.join(fixture('incident-duplicate-021'), 'migrations')
    expect(doc).toMatchObject({
      ok: false,
      exitCode: 1,
      strict: false,
      config: null,
      manifest: null,
      migrations: { dir, relativeDir: 'migrations', format: 'goose', count: 2 },
      steps: { validation: { ran: true }, manifest: { ran: false }, lint: { ran: true } },
      summary: { errors: 1, warnings: 0, files: 1, migrations: 2 },
    })
    expect(doc.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'DUPLICATE_VERSION',
        message: expect.stringContaining('version 21 is used by two files'),
        file: path.join(dir, '021_create_notification_audit_table.sql'),
        relativeFile: 'migrations/021_create_notification_audit_table.sql',
        line: 1,
        fix: expect.stringContaining('keep 021_add_status_reason_column.sql'),
        related: [
          {
            file: path.join(dir, '021_add_status_reason_column.sql'),
            relativeFile: 'migrations/021_add_status_reason_column.sql',
            line: 1,
          },
        ],
      },
    ])
  })

  it('should mark --strict in the JSON document and fail on warnings', async () => {
    const { run, doc } = await checkJson('goose-warning', '--strict')
    expect(run.code).toBe(1)
    expect(doc).toMatchObject({
      ok: false,
      exitCode: 1,
      strict: true,
      summary: { errors: 0, warnings: 1 },
    })
    expect(doc.diagnostics.map((d) => d.code)).toEqual(['VERSION_GAP'])
  })

  it('should exit 2 when the migrations folder does not exist', async () => {
    const run = await runCli(['check', '--dir', 'db/nowhere'], { cwd: fixture('goose-clean') })
    expect(run.code).toBe(2)
    expect(run.stdout).toContain('error    DIR_NOT_FOUND  the migrations folder')
    expect(run.stdout).toContain('(option `migrations`: "db/nowhere"')
    expect(run.stdout).toMatch(/✖ 1 error · no migrations read from db\/nowhere\//)
    // JSON does not claim a format it never detected.
    const json = await runCli(['check', '--dir', 'db/nowhere', '--format', 'json'], {
      cwd: fixture('goose-clean'),
    })
    expect((JSON.parse(json.stdout) as CheckDocument).migrations.format).toBeNull()
  })

  it('should exit 2 on an unknown option or command, naming it', async () => {
    const option = await runCli(['check', '--stict'])
    expect(option.code).toBe(2)
    expect(option.stderr).toContain("error: unknown option '--stict'")
    const command = await runCli(['chekc'])
    expect(command.code).toBe(2)
    expect(command.stderr).toContain("error: unknown command 'chekc'")
  })

  it('should print no colour codes into a pipe, even in CI, unless FORCE_COLOR is set', async () => {
    const ci = await runCli(['check'], {
      cwd: fixture('incident-duplicate-021'),
      env: { CI: 'true' },
    })
    expect(ci.stdout).not.toContain('\u001b[')
    const forced = await runCli(['check'], {
      cwd: fixture('incident-duplicate-021'),
      env: { FORCE_COLOR: '1' },
    })
    expect(forced.stdout).toContain('\u001b[31merror')
    const noColor = await runCli(['check'], {
      cwd: fixture('incident-duplicate-021'),
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    })
    expect(noColor.stdout).not.toContain('\u001b[')
  })

  it('should report a drizzle journal that disagrees with its SQL files (incident 5)', async () => {
    const run = await runCli(['check', '--dir', 'drizzle'], {
      cwd: fixture('incident-drizzle-journal'),
    })
    expect(run.code).toBe(1)
    expect(blockOf(run.stdout, 'drizzle/meta/_journal.json')).toMatch(
      /16 {2}error {4}JOURNAL_FILE_MISSING {2}meta\/_journal\.json: entry "0001_add_status" has no file 0001_add_status\.sql/,
    )
    expect(blockOf(run.stdout, 'drizzle/0002_add_role.sql')).toContain(
      'JOURNAL_UNLISTED_FILE  0002_add_role.sql is not listed in meta/_journal.json, so drizzle never applies it',
    )
  })

  it('should report an unsafe enum change through lint with its line (incident 5)', async () => {
    const run = await runCli(['check', '--dir', 'drizzle'], {
      cwd: fixture('incident-drizzle-enum'),
    })
    expect(run.code).toBe(1)
    const block = blockOf(run.stdout, 'drizzle/0001_drop_pending.sql')
    expect(block).toMatch(
      / 3 {2}error {4}LINT_ENUM_CAST_WITHOUT_TEXT {2}ALTER COLUMN users\.status TYPE public\.status/,
    )
    expect(block).toContain(
      'fix: cast through text: ALTER COLUMN status TYPE public.status USING status::text::public.status',
    )
    expect(block).toMatch(/ 2 {2}warning {2}LINT_ENUM_VALUE_REMOVED .*without 'pending'/)
  })

  it('should report one finding of every lint rule family with file and line, and honour a suppression', async () => {
    const { run, doc } = await checkJson('lint-families')
    expect(run.code).toBe(1)
    const found = doc.diagnostics.map((d) => `${d.relativeFile}:${d.line} ${d.severity} ${d.code}`)
    expect(found).toEqual(
      expect.arrayContaining([
        // drops
        'migrations/002_drop_archive.sql:3 warning LINT_DROP_WITHOUT_IF_EXISTS',
        'migrations/002_drop_archive.sql:3 warning LINT_DROP_TABLE',
        // columns
        'migrations/003_add_status.sql:3 error LINT_NOT_NULL_WITHOUT_DEFAULT',
        // enums
        'migrations/004_rename_mood.sql:2 warning LINT_ENUM_RENAME_VALUE',
        // indexes
        'migrations/005_index_name.sql:3 warning LINT_INDEX_NOT_CONCURRENT',
        // locks
        'migrations/006_no_lock_timeout.sql:2 warning LINT_LOCK_TIMEOUT_MISSING',
        // parse failures
        'migrations/007_mysql.sql:2 error LINT_PARSE_FAILED',
      ]),
    )
    // Down sections: an empty one is reported once (by validation or by lint, not both).
    const emptyDown = doc.diagnostics.filter((d) => /EMPTY_DOWN$/.test(d.code))
    expect(emptyDown.map((d) => d.relativeFile)).toEqual(['migrations/006_no_lock_timeout.sql'])
    // 008 drops a column under `-- pgtestbed-lint-ignore LINT_DROP_COLUMN: <reason>`.
    expect(
      doc.diagnostics.filter((d) => d.relativeFile === 'migrations/008_suppressed.sql'),
    ).toEqual([])
    for (const d of doc.diagnostics) expect(d.fix, d.code).toBeTruthy()
  })

  it.each(['check', 'manifest', 'up', 'down', 'status', 'version', 'gc'])(
    'should show examples and exit codes in `%s --help`',
    async (command) => {
      const run = await runCli([command, '--help'])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`Usage: pgtestbed ${command} [options]`)
      expect(run.stdout).toContain(command === 'version' ? '$ pgtestbed version' : 'Examples:')
      expect(run.stdout).toContain('Exit codes: 0')
    },
  )
})
