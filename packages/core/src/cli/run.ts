import { CommanderError } from 'commander'
import { EXIT_OK, EXIT_USAGE, exitCodeFor, printError } from './exit.js'
import { createOutput, type OutputStream } from './output.js'
import { buildProgram } from './program.js'

/** Where {@link runCli} reads and writes. Default: the running process. */
export interface CliIo {
  stdout?: OutputStream
  stderr?: OutputStream
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/**
 * Runs the `pgtestbed` command line and returns its exit code: 0 success, 1 problems found or a
 * step failed, 2 a wrong command line or config file. Never calls `process.exit`.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2))
 */
export async function runCli(args: readonly string[], io: CliIo = {}): Promise<number> {
  const output = createOutput(io.stdout, io.stderr)
  let exitCode = EXIT_OK
  const program = buildProgram({
    output,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    exit: (code) => {
      exitCode = code
    },
  })
  try {
    await program.parseAsync([...args], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    printError(output, error)
    return exitCodeFor(error)
  }
  return exitCode
}
