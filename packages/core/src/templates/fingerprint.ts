import { createHash, type Hash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { isMigratorSet, type SchemaSet } from '../migrations/migrator/types.js'
import { templateNameFor } from './naming.js'
import type { SeedFile } from './seeds.js'

/**
 * pgtestbed's own template schema version. Bump it whenever pgtestbed changes how it builds a
 * template (what it writes, in which order), so templates built by older versions are not reused.
 */
export const TEMPLATE_SCHEMA_VERSION = 1

/** The base database a build starts from. Default of {@link FingerprintInput.baseTemplate}. */
export const DEFAULT_BASE_TEMPLATE = 'template0'

/** Everything that shapes a template's schema. */
export interface FingerprintInput {
  /**
   * The discovered migrations (their files, Up statements, format, layout and version table), or
   * a migrate command or function (its input files and the command line or function source).
   */
  set: SchemaSet
  /** The server's major version (a dump from PG 15 and one from 17 differ). */
  serverMajor: number
  /** Seed files run after the migrations. Default: none. */
  seeds?: readonly SeedFile[]
  /** The database the build is created from. Default: `'template0'`. */
  baseTemplate?: string
  /**
   * Whether the build checks every Down section (`verifyDown`). A template built with the check
   * is another template than one built without it, so turning `verifyDown` on checks the Down
   * sections even when a template built without it exists. Default: `false`.
   */
  verifyDown?: boolean
}

/** A computed fingerprint and the template name that goes with it. */
export interface Fingerprint {
  /** SHA-256, 64 hex characters. */
  hash: string
  /** `pgtestbed_tpl_<first 32 hex characters>`. */
  templateName: string
}

/** Line endings do not shape a schema: a checkout with CRLF must reuse the LF template. */
function normalise(text: string): string {
  return text.replace(/\r\n/g, '\n')
}

function relative(from: string, file: string): string {
  return path.relative(from, file).split(path.sep).join('/')
}

/** Length-prefixed fields, so no two different inputs can hash the same byte stream. */
function field(hash: Hash, name: string, value: string): void {
  hash.update(`${name}:${Buffer.byteLength(value)}:`)
  hash.update(value)
  hash.update('\n')
}

/**
 * Computes the template fingerprint: SHA-256 over every file of the set (path relative to the
 * migrations folder + CRLF-normalised content), the Up statements as they will be executed (so
 * goose ENVSUB values count), each migration's transaction mode, the format, drizzle layout and
 * version table, the seed files (path relative to the migrations folder + content), the base
 * template, whether Down sections are verified, the server's major version and
 * {@link TEMPLATE_SCHEMA_VERSION}. For a migrate command or function: its input files (path
 * relative to its `cwd` + content) and the command line or the function's source text.
 *
 * @example
 * const { hash, templateName } = await computeFingerprint({ set, serverMajor: 17 })
 */
export async function computeFingerprint(input: FingerprintInput): Promise<Fingerprint> {
  const { set } = input
  const hash = createHash('sha256')
  field(hash, 'pgtestbed-template', String(TEMPLATE_SCHEMA_VERSION))
  field(hash, 'server-major', String(input.serverMajor))
  field(hash, 'base-template', input.baseTemplate ?? DEFAULT_BASE_TEMPLATE)
  // Only when on: templates built without verifyDown keep their fingerprint.
  if (input.verifyDown === true) field(hash, 'verify-down', 'true')
  field(hash, 'format', set.format)
  if (isMigratorSet(set)) {
    // The tool is a black box: what it runs and where, and every input it declared.
    const { migrator } = set
    field(hash, 'migrator', migrator.command ?? String(migrator.run))
  } else {
    field(hash, 'layout', set.layout ?? '')
    field(hash, 'version-table', `${set.versionTable.schema ?? ''}\0${set.versionTable.table}`)
  }
  // Read synchronously, like discovery: for a hundred small files, `fs.promises.readFile` (open,
  // stat, read, close, each a trip through the thread pool) took 10–40 ms of a warm start.
  for (const file of set.files) {
    field(hash, 'file', relative(set.dir, file))
    field(hash, 'content', normalise(readFileSync(file, 'utf8')))
  }
  for (const migration of set.migrations) {
    field(hash, 'migration', migration.version)
    field(hash, 'transaction', String(migration.up.transaction))
    for (const statement of migration.up.statements) field(hash, 'statement', statement.sql)
  }
  for (const seed of input.seeds ?? []) {
    field(hash, 'seed', relative(set.dir, seed.file))
    field(hash, 'seed-content', normalise(seed.content))
  }
  const hex = hash.digest('hex')
  return { hash: hex, templateName: templateNameFor(hex) }
}
