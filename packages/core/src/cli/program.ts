import { readFileSync } from 'node:fs'
import { Command, InvalidArgumentError, Option } from 'commander'
import { MIGRATION_FORMATS } from '../migrations/types.js'
import type { CommonFlags } from './settings.js'
import type { Output } from './output.js'
import { HELP } from './help.js'

/** What the program's actions need from the process (so tests can run it in-process too). */
export interface CliContext {
  output: Output
  env: NodeJS.ProcessEnv
  cwd: string
  /** Records the command's exit code. */
  exit(code: number): void
}

function version(): string {
  try {
    const file = new URL('../../package.json', import.meta.url)
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function count(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number ≥ 0')
  return n
}

async function duration(value: string): Promise<number> {
  const { parseDuration } = await import('./gc.js')
  return parseDuration(value)
}

/** `--config`, `--dir` and the options that say how to read the migrations. */
function withMigrationOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: pgtestbed.config.* searched from here)')
    .option(
      '-d, --dir <migrations>',
      'migrations folder (default: from the config, else ./migrations)',
    )
    .addOption(
      new Option('--migration-format <tool>', 'migration tool (default: detected)').choices([
        'auto',
        ...MIGRATION_FORMATS,
      ]),
    )
    .option('--table <name>', "version table (default: the tool's own)")
    .option('--schema <name>', "version table's schema (default: the tool's own)")
}

const LOCK_TIMEOUT = '--lock-timeout <duration>'
const LOCK_TIMEOUT_HELP = 'wait this long for another run on the same database (default: 5m)'

/** Flags of `up` and `down` as commander hands them over. */
type MigrateCommandFlags = CommonFlags & { url?: string; to?: string; lockTimeout?: string }

/** `--lock-timeout 30s` → milliseconds. */
async function migrateFlags<T extends MigrateCommandFlags>(
  flags: T,
): Promise<Omit<T, 'lockTimeout'> & { lockTimeout?: number }> {
  const { lockTimeout, ...rest } = flags
  return lockTimeout === undefined ? rest : { ...rest, lockTimeout: await duration(lockTimeout) }
}

/** Flags of `diff` as commander hands them over. */
type DiffCommandFlags = {
  url?: string
  command?: string
  file?: string
  sql?: boolean
  format: string
}

const URL_HELP = 'database URL (default: $PGTESTBED_URL; $DATABASE_URL is never read implicitly)'

/**
 * The `pgtestbed` program. Each action loads its command module on demand, so `check` never
 * loads `pg` or the embedded server, and a pre-commit hook starts fast.
 */
export function buildProgram(context: CliContext): Command {
  const { output, env, cwd } = context
  const settingsOf = async (flags: CommonFlags) => {
    const { resolveSettings } = await import('./settings.js')
    return resolveSettings(flags, cwd)
  }
  const program = new Command('pgtestbed')
    .description(
      'Check, manifest and apply goose, golang-migrate, Prisma Migrate, drizzle-kit, dbmate and node-pg-migrate migrations; clean up test databases.',
    )
    .version(version(), '-V, --version', 'print the pgtestbed version')
    .configureOutput({
      writeOut: (text) => void output.out.write(text),
      writeErr: (text) => void output.err.write(text),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', HELP.program)

  withMigrationOptions(program.command('check'))
    .description('validate the migrations, compare them with the manifest, and lint them')
    .option('--strict', 'exit 1 on warnings too')
    .option('--no-cache', 'lint every file even when nothing changed since the last check')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', HELP.check)
    .action(async (flags: CommonFlags & { strict?: boolean; format: string; cache: boolean }) => {
      const settings = await settingsOf(flags)
      const { runCheckCommand } = await import('./check-command.js')
      context.exit(await runCheckCommand(settings, flags, output))
    })

  withMigrationOptions(program.command('manifest'))
    .description('write (--write) or verify (--check, the default) pgtestbed.sum')
    .option('--write', 'create or update the manifest from the migrations')
    .option('--check', 'verify the migrations against the manifest (default)')
    .addHelpText('after', HELP.manifest)
    .action(async (flags: CommonFlags & { write?: boolean; check?: boolean }) => {
      const settings = await settingsOf(flags)
      const { runManifest } = await import('./manifest-command.js')
      context.exit(await runManifest(settings, flags, output))
    })

  const migrate = (name: 'up' | 'down' | 'status' | 'version', description: string) =>
    withMigrationOptions(program.command(name))
      .description(description)
      .option('-u, --url <url>', URL_HELP)
      .addHelpText('after', HELP[name])

  migrate('up', 'apply pending migrations (Up sections only) with the tool’s own version table')
    .option('--to <version>', 'stop after this version (default: apply everything pending)')
    .option(
      '--allow-missing',
      'apply missing (out-of-order) migrations first, like goose -allow-missing',
    )
    .option(LOCK_TIMEOUT, LOCK_TIMEOUT_HELP)
    .option(
      '--wait <duration>',
      'retry the connection this long while the server is starting (default: no retry)',
    )
    .action(async (flags: MigrateCommandFlags & { allowMissing?: boolean; wait?: string }) => {
      const settings = await settingsOf(flags)
      const { runUp } = await import('./migrate.js')
      const { wait, ...rest } = await migrateFlags(flags)
      const upFlags = wait === undefined ? rest : { ...rest, wait: await duration(wait) }
      context.exit(await runUp(settings, upFlags, output, env))
    })
  migrate('down', 'roll back the newest migration, or every migration above --to')
    .option('--to <version>', 'roll back every migration above this version (0: all)')
    .option(LOCK_TIMEOUT, LOCK_TIMEOUT_HELP)
    .action(async (flags: MigrateCommandFlags) => {
      const settings = await settingsOf(flags)
      const { runDown } = await import('./migrate.js')
      context.exit(await runDown(settings, await migrateFlags(flags), output, env))
    })
  migrate('status', 'list each migration as applied (with its time), pending or missing')
    .option('--check', 'exit 3 when migrations are pending (0: up to date, 1: error)')
    .action(async (flags: CommonFlags & { url?: string; check?: boolean }) => {
      const settings = await settingsOf(flags)
      const { runStatus } = await import('./migrate.js')
      context.exit(await runStatus(settings, flags, output, env))
    })
  migrate('version', 'print the database’s current migration version').action(
    async (flags: CommonFlags & { url?: string }) => {
      const settings = await settingsOf(flags)
      const { runVersion } = await import('./migrate.js')
      context.exit(await runVersion(settings, flags, output, env))
    },
  )

  withMigrationOptions(program.command('diff'))
    .description(
      "compare the schema the migrations build with a live database, the code's schema or a dump",
    )
    .option(
      '-u, --url <url>',
      'a live database to compare with (read only: catalog queries in a read-only transaction)',
    )
    .option(
      '--command <command>',
      'a command that builds the code\'s schema into $DATABASE_URL (a scratch database), e.g. "npx drizzle-kit push --force"',
    )
    .option('--file <schema.sql>', 'a schema dump (pg_dump --schema-only, dbmate db/schema.sql)')
    .option('--sql', "also print the statements that turn the migrations' schema into the target's")
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', HELP.diff)
    .action(async (flags: CommonFlags & DiffCommandFlags) => {
      const settings = await settingsOf(flags)
      const { runDiff } = await import('./diff-command.js')
      context.exit(await runDiff(settings, flags, output, env))
    })

  const template = program
    .command('template')
    .description('save the template to a folder CI caches, or restore it from there')
  for (const [name, description] of [
    ['export', 'build (or reuse) the template a test run uses and save it into <dir>'],
    ['import', 'restore the template a test run uses from <dir> (or build and save it)'],
  ] as const) {
    withMigrationOptions(template.command(`${name} <dir>`))
      .description(description)
      .option(
        '-u, --url <url>',
        'server URL (default: config url, $PGTESTBED_URL, else the embedded server)',
      )
      .action(async (dir: string, flags: CommonFlags & { url?: string }) => {
        const settings = await settingsOf(flags)
        const commands = await import('./template-command.js')
        const run = name === 'export' ? commands.runTemplateExport : commands.runTemplateImport
        context.exit(await run(settings, dir, flags, output))
      })
  }

  program
    .command('gc')
    .description('drop test databases that crashed or finished runs left behind')
    .option('-c, --config <file>', 'config file (default: pgtestbed.config.* searched from here)')
    .option(
      '-u, --url <url>',
      'server URL (default: config url, $PGTESTBED_URL, else the embedded server)',
    )
    .option('--dry-run', 'list what would be dropped, drop nothing')
    .option(
      '--older-than <duration>',
      'drop leftovers older than this whose owner cannot be checked (default: 24h)',
    )
    .option('--force', "also drop a running test run's databases (older than --older-than)")
    .option('--keep-templates <n>', 'templates to keep per project (default: 3)', count)
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', HELP.gc)
    .action(
      async (
        flags: CommonFlags & {
          url?: string
          dryRun?: boolean
          olderThan?: string
          force?: boolean
          keepTemplates?: number
          format: string
        },
      ) => {
        const settings = await settingsOf(flags)
        const { runGc } = await import('./gc.js')
        const { olderThan, ...rest } = flags
        const gcFlags =
          olderThan === undefined ? rest : { ...rest, olderThan: await duration(olderThan) }
        context.exit(await runGc(settings, gcFlags, output, env))
      },
    )
  const server = program
    .command('server')
    .description("show or stop the workspace's embedded PostgreSQL server")
    .addHelpText('after', HELP.server)
  const withCacheDir = (command: Command) =>
    command
      .option('-c, --config <file>', 'config file (default: pgtestbed.config.* searched from here)')
      .option(
        '--cache-dir <dir>',
        "pgtestbed's cache folder, holding the server's state and log (default: the config's cacheDir, $PGTESTBED_CACHE_DIR, else <workspace root>/node_modules/.cache/pgtestbed)",
      )
  const cacheDirOf = async (flags: { config?: string; cacheDir?: string }) => {
    const { resolveCacheDir } = await import('../servers/embedded/paths.js')
    if (flags.cacheDir !== undefined) return resolveCacheDir({ cwd, cacheDir: flags.cacheDir })
    return resolveCacheDir(
      (await settingsOf({ ...(flags.config ? { config: flags.config } : {}) })).server,
    )
  }
  withCacheDir(server.command('status'))
    .description(
      "whether the embedded server runs: pid, port, data folder, attached processes, templates and kept databases; then every workspace's data in memory, the memory budget and the free space",
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .option('--show-url', "print the server's and each kept database's full URL")
    .action(
      async (flags: { config?: string; cacheDir?: string; format: string; showUrl?: boolean }) => {
        const { runServerStatus } = await import('./server-command.js')
        const embedded = (await settingsOf({ ...(flags.config ? { config: flags.config } : {}) }))
          .server.embedded
        context.exit(await runServerStatus(await cacheDirOf(flags), flags, output, embedded))
      },
    )
  withCacheDir(server.command('stop'))
    .description(
      'stop the embedded server (its data, and so its templates, are kept unless --remove-data)',
    )
    .option('--force', 'stop it even while test runs use it (their connections are cut)')
    .option(
      '--remove-data',
      'also delete its data (every template and kept database): the next run starts afresh',
    )
    .action(
      async (flags: {
        config?: string
        cacheDir?: string
        force?: boolean
        removeData?: boolean
      }) => {
        const { runServerStop } = await import('./server-command.js')
        context.exit(await runServerStop(await cacheDirOf(flags), flags, output))
      },
    )
  return program
}
