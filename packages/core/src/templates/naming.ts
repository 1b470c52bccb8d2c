import { createHash, randomBytes } from 'node:crypto'
import path from 'node:path'

/**
 * Every database pgtestbed creates starts with this prefix. The prefix alone never makes a
 * database ours: dropping also needs pgtestbed's ownership record (see `ownership.ts`).
 */
export const DATABASE_PREFIX = 'pgtestbed_'

/** What a database pgtestbed created is for. */
export type DatabaseKind = 'template' | 'build' | 'clone' | 'pool' | 'scratch'

/** Name prefixes per kind; the part after the prefix is a hash and/or random hex. */
export const KIND_PREFIXES: Readonly<Record<DatabaseKind, string>> = {
  template: 'pgtestbed_tpl_',
  build: 'pgtestbed_bld_',
  clone: 'pgtestbed_c_',
  pool: 'pgtestbed_p_',
  scratch: 'pgtestbed_s_',
}

/** Hex characters of the fingerprint kept in a template name (128 bits). */
const TEMPLATE_HASH_CHARS = 32
/** Hex characters of the template hash kept in clone and pool names (to group them by eye). */
const SHORT_HASH_CHARS = 12
/** Random hex characters in names that must be unique across processes and machines (64 bits). */
const RANDOM_CHARS = 16

/** PostgreSQL truncates identifiers longer than this many bytes. */
export const MAX_IDENTIFIER_BYTES = 63

/**
 * The template name for a fingerprint: `pgtestbed_tpl_<first 32 hex chars>` (46 bytes).
 *
 * @example
 * templateNameFor('ab12…') // 'pgtestbed_tpl_ab12…'
 */
export function templateNameFor(fingerprint: string): string {
  return KIND_PREFIXES.template + fingerprint.slice(0, TEMPLATE_HASH_CHARS)
}

/** The fingerprint prefix a template name carries, or `undefined` when it is not a template name. */
function templateHashOf(templateName: string): string | undefined {
  if (!templateName.startsWith(KIND_PREFIXES.template)) return undefined
  const hash = templateName.slice(KIND_PREFIXES.template.length)
  return /^[0-9a-f]+$/.test(hash) ? hash : undefined
}

function random(): string {
  return randomBytes(RANDOM_CHARS / 2).toString('hex')
}

function shortHash(templateName: string): string {
  return (templateHashOf(templateName) ?? hashText(templateName)).slice(0, SHORT_HASH_CHARS)
}

/**
 * A fresh build-database name for a fingerprint: `pgtestbed_bld_<32 hex>_<16 random hex>`.
 * The fingerprint part lets a later builder find (and drop) leftovers of crashed builds.
 */
export function buildNameFor(fingerprint: string): string {
  return `${buildNamePrefixFor(fingerprint)}${random()}`
}

/** The prefix every build database of `fingerprint` starts with. */
export function buildNamePrefixFor(fingerprint: string): string {
  return `${KIND_PREFIXES.build}${fingerprint.slice(0, TEMPLATE_HASH_CHARS)}_`
}

/**
 * A fresh clone name: `pgtestbed_c_<12 hex of the template>_<16 random hex>`. 64 random bits make
 * names unique across processes and machines without coordination (worker ids are not).
 */
export function cloneNameFor(templateName: string): string {
  return `${KIND_PREFIXES.clone}${shortHash(templateName)}_${random()}`
}

/** A fresh pool-database name: `pgtestbed_p_<12 hex of the template>_<16 random hex>`. */
export function poolNameFor(templateName: string): string {
  return `${poolNamePrefixFor(templateName)}${random()}`
}

/** The prefix every pool database of `templateName` starts with. */
export function poolNamePrefixFor(templateName: string): string {
  return `${KIND_PREFIXES.pool}${shortHash(templateName)}_`
}

/** A fresh scratch-database name (verifyDown and other throw-away work). */
export function scratchName(): string {
  return `${KIND_PREFIXES.scratch}${random()}`
}

/** SHA-256 hex of a string. */
export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/**
 * The project key: a short hash of the migrations folder's absolute path. Templates are kept
 * per project key, so several projects can share one server without evicting each other's.
 *
 * @example
 * projectKeyFor('/repo/migrations') // '5d41402abc4b2a76'
 */
export function projectKeyFor(migrationsDir: string): string {
  return hashText(path.resolve(migrationsDir)).slice(0, 16)
}

/** Escapes `_`, `%` and `\` for a SQL `LIKE` pattern (default escape character `\`). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * The advisory-lock key pgtestbed takes while it creates or drops database `name` (64 bits of
 * SHA-256 as a signed bigint string). A creator holds it from `CREATE DATABASE` until the
 * ownership record is written, so a free lock on an unrecorded database means its creator is gone.
 */
export function databaseLockKey(name: string): string {
  return createHash('sha256')
    .update(`pgtestbed.drop-lock:${name}`)
    .digest()
    .readBigInt64BE(0)
    .toString()
}
