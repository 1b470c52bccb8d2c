import type { Diagnostic } from './diagnostics.js'

/**
 * Every error pgtestbed throws carries one of these codes. The codes are stable: match on them,
 * not on message text. The README's "Errors" table lists each with its cause and fix.
 */
export type ErrorCode =
  /** Options or a config file are invalid (a wrong type, an unknown value, a missing folder). */
  | 'INVALID_OPTIONS'
  /** `pgtestbed.config.*` exists but could not be loaded. */
  | 'CONFIG_LOAD_FAILED'
  /** Discovery, parsing or validation found at least one error-severity diagnostic. */
  | 'VALIDATION_FAILED'
  /** The discovered migrations differ from the declared manifest. */
  | 'MANIFEST_MISMATCH'
  /** `pgtestbed.sum` could not be written (a missing folder, no permission, a read-only file system). */
  | 'MANIFEST_WRITE_FAILED'
  /** The lint step found error-severity problems. */
  | 'LINT_FAILED'
  /** A migration statement failed while being applied. */
  | 'APPLY_FAILED'
  /** A Down section failed or left objects behind during `verifyDown`. */
  | 'VERIFY_DOWN_FAILED'
  /** The database's version table says something the migration files cannot explain. */
  | 'VERSION_TABLE_CONFLICT'
  /** Another migration run held the database's migration lock for longer than the timeout. */
  | 'MIGRATION_LOCK_TIMEOUT'
  /**
   * A migration to roll back has no Down section and its tool cannot roll back without one
   * (drizzle, dbmate, node-pg-migrate); Prisma Migrate has no down migrations at all.
   */
  | 'ROLLBACK_UNSUPPORTED'
  /** No PostgreSQL server could be reached at the URL. */
  | 'SERVER_UNREACHABLE'
  /** The server's role may not create databases (it needs CREATEDB or superuser). */
  | 'SERVER_PERMISSION_DENIED'
  /** The embedded PostgreSQL server could not be prepared or started. */
  | 'EMBEDDED_START_FAILED'
  /**
   * The RAM-backed folder holding the embedded server's data (`/dev/shm`) is too full to start a
   * server there or to build or clone a template.
   */
  | 'MEMORY_FULL'
  /**
   * The embedded server's PostgreSQL binaries (of the major asked for) are not installed:
   * `@pgtestbed/core` alone brings none.
   */
  | 'EMBEDDED_BINARIES_MISSING'
  /** The docker provider was chosen but Docker or `@testcontainers/postgresql` is not available. */
  | 'DOCKER_UNAVAILABLE'
  /** Building a template database failed (the cause says why). */
  | 'TEMPLATE_BUILD_FAILED'
  /** A template could not be saved to the template cache folder (`templateCache`, `template export`). */
  | 'TEMPLATE_CACHE_FAILED'
  /** Another process held the template build lock for longer than the timeout. */
  | 'TEMPLATE_LOCK_TIMEOUT'
  /** Creating a clone from a template failed. */
  | 'CLONE_FAILED'
  /** pgtestbed refused to drop a database because it does not carry pgtestbed's ownership record. */
  | 'NOT_OWNED'
  /** Dropping a database failed. */
  | 'DROP_FAILED'
  /** The `drift` check found that the migrations build another schema than the code or database expects. */
  | 'DRIFT_DETECTED'
  /** The command that builds the code's schema (`diff --command`, `drift.command`) failed. */
  | 'DIFF_COMMAND_FAILED'
  /** The schema file (`diff --file`, `drift.file`) could not be read or loaded. */
  | 'DIFF_FILE_FAILED'
  /** A database pgtestbed was asked to keep no longer exists (dropped by `gc --force` or by hand). */
  | 'DATABASE_GONE'
  /** The PostgreSQL server went away (it exited, was killed, or an administrator ended the session). */
  | 'SERVER_LOST'
  /**
   * A test file ran without a database of its own (the runner's setup did not run for it), so
   * it would have used whatever `DATABASE_URL` the shell had.
   */
  | 'NO_TEST_DATABASE'

const BRAND = Symbol.for('pgtestbed.error')

/** Options accepted by every pgtestbed error constructor. */
export interface PgtestbedErrorOptions {
  /** The underlying error (a `pg` error, a file-system error...). */
  cause?: unknown
  /** What the user can do about it, when that is known. Printed after the message. */
  fix?: string
}

/**
 * The base class of every error pgtestbed throws.
 *
 * Jest and Vitest may load `@pgtestbed/core` more than once (one copy per module registry), so an
 * `instanceof` check can fail across copies: use {@link isPgtestbedError} instead.
 *
 * @example
 * try { await startTestbed({ migrations: './migrations' }) }
 * catch (error) { if (isPgtestbedError(error) && error.code === 'APPLY_FAILED') console.error(error.message) }
 */
export class PgtestbedError extends Error {
  /** A stable code, see {@link ErrorCode}. */
  readonly code: ErrorCode
  /** What the user can do about it, when known. */
  readonly fix: string | undefined

  constructor(code: ErrorCode, message: string, options: PgtestbedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.fix = options.fix
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false })
    Object.defineProperty(this, BRAND, { value: true, enumerable: false })
  }
}

/**
 * True when `value` is an error thrown by any copy of `@pgtestbed/core` (works across module
 * registries and realms, unlike `instanceof`).
 *
 * @example
 * if (isPgtestbedError(error)) console.error(`${error.code}: ${error.message}`)
 */
export function isPgtestbedError(value: unknown): value is PgtestbedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

/**
 * Thrown when discovery, validation, the manifest check or lint found error-severity diagnostics.
 * `diagnostics` holds all of them (errors and warnings), so a caller can print every problem at once.
 */
export class DiagnosticsError extends PgtestbedError {
  /** Every diagnostic found, errors first. */
  readonly diagnostics: readonly Diagnostic[]

  constructor(
    code: 'VALIDATION_FAILED' | 'MANIFEST_MISMATCH' | 'LINT_FAILED',
    message: string,
    diagnostics: readonly Diagnostic[],
    options: PgtestbedErrorOptions = {},
  ) {
    super(code, message, options)
    this.diagnostics = diagnostics
  }
}
