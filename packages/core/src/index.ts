// `@pgtestbed/core`: the user's API, grouped by concept. What a test-runner adapter needs lives in
// `@pgtestbed/core/runner` (main process) and `@pgtestbed/core/worker` (each test file).

// Errors and diagnostics: one error class with a stable code; problems found in migration files
export { PgtestbedError, DiagnosticsError, isPgtestbedError } from './errors.js'
export type { ErrorCode, PgtestbedErrorOptions } from './errors.js'
export {
  hasErrors,
  sortDiagnostics,
  formatDiagnostic,
  formatDiagnostics,
  throwIfErrors,
  displayPath,
} from './diagnostics.js'
export type {
  Diagnostic,
  DiagnosticCode,
  Severity,
  SourceLocation,
  FormatDiagnosticOptions,
} from './diagnostics.js'

// Testbed: a server, a template built from the migrations, and one clone per test file
export { startTestbed, cloneDatabase } from './testbed/start.js'
export type {
  CloseOptions,
  RefreshResult,
  Testbed,
  TestbedInfo,
  TestbedOptions,
} from './testbed/types.js'
export { DEFAULT_CLONE_STRATEGY, resolveCloneStrategy } from './templates/clone.js'
export type { ClonedDatabase, CloneOptions, CloneSource, CloneStrategy } from './templates/clone.js'
export { formatLeakedConnections } from './templates/drop.js'
export type { DropResult, LeakedConnection } from './templates/drop.js'
export { ensureTemplate } from './templates/build.js'
export type { EnsureTemplateOptions, EnsureTemplateResult } from './templates/build.js'
export {
  computeFingerprint,
  TEMPLATE_SCHEMA_VERSION,
  DEFAULT_BASE_TEMPLATE,
} from './templates/fingerprint.js'
export type { Fingerprint, FingerprintInput } from './templates/fingerprint.js'
export { DEFAULT_LOCK_TIMEOUT_MS } from './templates/lock.js'
export { VerifyDownError } from './templates/verify-down.js'
export type { VerifyDownFailure } from './templates/verify-down.js'
export { projectKeyFor } from './templates/naming.js'
export {
  sweep,
  DEFAULT_SWEEP_TTL_MS,
  DEFAULT_KEPT_TTL_MS,
  DEFAULT_KEEP_TEMPLATES,
  DEFAULT_TEMPLATE_MIN_AGE_MS,
} from './templates/sweep.js'
export type { SweepEntry, SweepOptions, SweepReport } from './templates/sweep.js'
export { DriftError } from './testbed/drift.js'

// Migrations: find, detect, parse and validate a folder; apply, roll back and report status
export { MIGRATION_FORMATS } from './migrations/types.js'
export type {
  Migration,
  MigrationFormat,
  MigrationSection,
  MigrationSet,
  Statement,
  VersionRecord,
  VersionTable,
} from './migrations/types.js'
export { DEFAULT_MIGRATIONS_DIR, DEFAULT_MANIFEST_FILE } from './config/types.js'
export type { MigrationsOptions } from './config/types.js'
export { discoverMigrations } from './migrations/files/discover.js'
export {
  parseGooseSql,
  statementFileLine,
  GOOSE_MAX_LINE_BYTES,
} from './migrations/files/sqlparser/goose.js'
export type {
  GooseParseOptions,
  GooseParseResult,
  GooseSection,
  GooseStatement,
} from './migrations/files/sqlparser/goose.js'
export { applyMigrations } from './migrations/database/apply.js'
export type {
  ApplyOptions,
  ApplyResult,
  CompletedMigration,
  MigrationEvent,
} from './migrations/database/apply.js'
export { MigrationApplyError } from './migrations/database/apply-errors.js'
export type { PostgresErrorFields } from './migrations/database/apply-errors.js'
export { rollbackMigrations } from './migrations/database/rollback.js'
export type { RollbackOptions, RollbackResult } from './migrations/database/rollback.js'
export { getMigrationStatus, formatMigrationStatus } from './migrations/database/status.js'
export type {
  FormatStatusOptions,
  MigrationState,
  MigrationStatus,
  MigrationStatusEntry,
  UnknownVersion,
} from './migrations/database/status.js'
// One run at a time migrates a database (the tool's own advisory lock)
export {
  acquireMigrationLock,
  DEFAULT_MIGRATION_LOCK_TIMEOUT_MS,
} from './migrations/database/lock.js'
export type { MigrationLock, MigrationLockOptions } from './migrations/database/lock.js'

// Any other migration tool: `migrate: { command | run, inputs }` builds the template
export { DEFAULT_MIGRATE_TIMEOUT_MS, isMigratorSet } from './migrations/migrator/types.js'
export type {
  MigrateContext,
  MigrateOptions,
  MigratorSet,
  ResolvedMigrator,
  SchemaSet,
} from './migrations/migrator/types.js'
export { resolveMigrator } from './migrations/migrator/resolve.js'

// Manifest: pgtestbed.sum and explicit migration lists
export {
  computeManifest,
  formatManifest,
  parseManifest,
  readManifest,
  writeManifest,
  checkManifest,
} from './migrations/files/manifest.js'
export type {
  Manifest,
  ManifestEntry,
  ManifestPathOptions,
  ParsedManifest,
} from './migrations/files/manifest.js'

// Lint: unsafe-migration rules on PostgreSQL's own parser, cached per migrations folder
export { lintMigrations } from './lint/run.js'
export { createLintHook } from './lint/hook.js'
export type { LintHookOptions, LintHookResult } from './lint/hook.js'
export { LINT_RULES, LINT_RULE_CODES } from './lint/types.js'
export type {
  LintOptions,
  LintOverride,
  LintRuleCode,
  LintRuleInfo,
  LintRuleSetting,
} from './lint/types.js'

// Config files: pgtestbed.config.*, shared by the CLI and every runner
export { loadConfig, CONFIG_FILE_NAMES } from './config/load.js'
export type { LoadConfigOptions, LoadedConfig } from './config/load.js'
export { defineConfig } from './config/define.js'
export { validateConfig } from './config/validate.js'
export type { PgtestbedConfig, LintSetting, SweepConfig } from './config/types.js'

// Servers: where PostgreSQL comes from: a URL, the shared embedded server, or docker
export { resolveServer } from './servers/resolve.js'
export type { ResolveServerOptions } from './servers/resolve.js'
export type {
  PostgresServer,
  ReleaseOptions,
  ServerChoice,
  ServerKind,
  ServerOptions,
} from './servers/types.js'
export { DEFAULT_EMBEDDED_START_TIMEOUT_MS } from './servers/embedded/server.js'
export type { EmbeddedOptions, EmbeddedPostgresServer } from './servers/embedded/server.js'
export { stopEmbeddedServer } from './servers/embedded/stop.js'
export type { StopEmbeddedServerOptions, StoppedEmbeddedServer } from './servers/embedded/stop.js'
export { serverStopCommand } from './servers/embedded/stop-command.js'
export { resolveCacheDir, DEFAULT_CACHE_DIR } from './servers/embedded/paths.js'
export type { CacheDirOptions } from './servers/embedded/paths.js'
export { DEFAULT_EMBEDDED_OS_USER } from './servers/embedded/user.js'
export {
  DEFAULT_EMBEDDED_STORAGE,
  DEFAULT_MEMORY_DIR,
  EMBEDDED_STORAGE_ENV,
  MIN_MEMORY_FREE_BYTES,
} from './servers/embedded/storage.js'
export type { EmbeddedStorage, ServerStorage, StorageMedium } from './servers/embedded/storage.js'
export { DEFAULT_MEMORY_BUDGET, MEMORY_BUDGET_ENV } from './servers/embedded/budget.js'
export type { MemoryBudget } from './servers/embedded/budget.js'
export { DEFAULT_DOCKER_IMAGE } from './servers/docker.js'
export type { DockerOptions, DockerPostgresServer } from './servers/docker.js'
export type { UrlPostgresServer } from './servers/url.js'
export {
  TEST_TUNED_SETTINGS,
  DEFAULT_MAX_CONNECTIONS,
  MEMORY_STORAGE_SETTINGS,
} from './servers/settings.js'
export type { PostgresSettingValue } from './servers/settings.js'

// The embedded server's PostgreSQL major (16, 17 or 18)
export {
  DEFAULT_EMBEDDED_MAJOR_VERSION,
  EMBEDDED_MAJOR_VERSIONS,
} from './servers/embedded/binaries-package.js'
export type { EmbeddedMajorVersion } from './servers/embedded/binaries-package.js'

// Schema diff: the migrations' schema against a live database, the code's schema or a dump
export { diffTemplate } from './diff/run.js'
export type { DiffTemplateOptions, DiffTemplateResult } from './diff/run.js'
export { inspectSchema } from './diff/inspect.js'
export type { InspectOptions } from './diff/inspect.js'
export { compareSchemas } from './diff/compare.js'
export { formatDiffText } from './diff/report.js'
export type { FormatDiffOptions } from './diff/report.js'
export { migrationSql } from './diff/sql.js'
export { TOOL_VERSION_TABLES } from './diff/version-tables.js'
export type { VersionTableRef } from './diff/version-tables.js'
export type { CommandTarget, DiffTarget } from './diff/targets.js'
export type { DriftOptions } from './diff/drift-options.js'
export type { DiffConfig } from './diff/ignore.js'
export type {
  Difference,
  DiffGroup,
  ObjectKind,
  SchemaDiff,
  SchemaInspection,
  SchemaObject,
  SideLabels,
} from './diff/types.js'

// Progress output: what core reports while it works, to a console or nowhere
export { createConsoleReporter, silentReporter } from './progress.js'
export type { ConsoleReporterOptions, ProgressStep, Reporter } from './progress.js'
