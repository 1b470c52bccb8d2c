import { mkdtemp, rm, writeFile, mkdir, rename } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { discoverMigrations } from '../../src/migrations/files/discover.js'
import type { MigrationSet } from '../../src/migrations/types.js'
import { computeFingerprint, type FingerprintInput } from '../../src/templates/fingerprint.js'
import { MAX_IDENTIFIER_BYTES } from '../../src/templates/naming.js'

let dir: string
let migrations: string

const UP1 = '-- +goose Up\nCREATE TABLE a (id int);\n\n-- +goose Down\nDROP TABLE a;\n'
const UP2 = '-- +goose Up\nCREATE TABLE b (id int);\n\n-- +goose Down\nDROP TABLE b;\n'
const ENVSUB =
  "-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE c (x text DEFAULT '${APP_REGION}');\n\n-- +goose Down\nDROP TABLE c;\n"

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgtestbed-fp-'))
  migrations = path.join(dir, 'migrations')
  await mkdir(migrations)
  await writeFile(path.join(migrations, '001_a.sql'), UP1)
  await writeFile(path.join(migrations, '002_b.sql'), UP2)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function discover(env: Record<string, string> = {}): Promise<MigrationSet> {
  const set = await discoverMigrations({ migrations: 'migrations', cwd: dir, env })
  expect(set.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  return set
}

async function fingerprint(
  overrides: Partial<FingerprintInput> = {},
  env?: Record<string, string>,
) {
  return computeFingerprint({ set: await discover(env), serverMajor: 17, ...overrides })
}

describe('computeFingerprint', () => {
  test('should give the same fingerprint when nothing changed', async () => {
    const first = await fingerprint()
    const second = await fingerprint()
    expect(second).toEqual(first)
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  test('should name the template pgtestbed_tpl_<hash prefix> within the 63-byte identifier limit', async () => {
    const { hash, templateName } = await fingerprint()
    expect(templateName).toBe(`pgtestbed_tpl_${hash.slice(0, 32)}`)
    expect(Buffer.byteLength(templateName)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES)
  })

  test('should not change when a file only switches from LF to CRLF line endings', async () => {
    const lf = await fingerprint()
    await writeFile(path.join(migrations, '001_a.sql'), UP1.replace(/\n/g, '\r\n'))
    expect((await fingerprint()).hash).toBe(lf.hash)
  })

  test('should change when a migration file changes', async () => {
    const before = await fingerprint()
    await writeFile(path.join(migrations, '002_b.sql'), UP2.replace('id int', 'id bigint'))
    expect((await fingerprint()).hash).not.toBe(before.hash)
  })

  test('should change when a migration file is renamed, even with the same content and order', async () => {
    const before = await fingerprint()
    await rename(path.join(migrations, '002_b.sql'), path.join(migrations, '002_bee.sql'))
    expect((await fingerprint()).hash).not.toBe(before.hash)
  })

  test('should change when a migration is added', async () => {
    const before = await fingerprint()
    await writeFile(path.join(migrations, '003_c.sql'), UP2.replace(/b/g, 'c'))
    expect((await fingerprint()).hash).not.toBe(before.hash)
  })

  test('should change when an ENVSUB value changes although no file changed', async () => {
    await writeFile(path.join(migrations, '003_c.sql'), ENVSUB)
    const eu = await fingerprint({}, { APP_REGION: 'eu' })
    const us = await fingerprint({}, { APP_REGION: 'us' })
    expect(us.hash).not.toBe(eu.hash)
    expect((await fingerprint({}, { APP_REGION: 'eu' })).hash).toBe(eu.hash)
  })

  test('should change with the server major version', async () => {
    expect((await fingerprint({ serverMajor: 15 })).hash).not.toBe(
      (await fingerprint({ serverMajor: 17 })).hash,
    )
  })

  test('should change with the base template', async () => {
    expect((await fingerprint({ baseTemplate: 'template1' })).hash).not.toBe(
      (await fingerprint()).hash,
    )
  })

  test('should change when verifyDown is on, and stay as it was when it is off', async () => {
    const plain = (await fingerprint()).hash
    expect((await fingerprint({ verifyDown: false })).hash).toBe(plain)
    expect((await fingerprint({ verifyDown: true })).hash).not.toBe(plain)
  })

  test('should change with the version table, format and layout settings', async () => {
    const set = await discover()
    const base = (await computeFingerprint({ set, serverMajor: 17 })).hash
    const variants: MigrationSet[] = [
      { ...set, versionTable: { table: 'my_versions' } },
      { ...set, versionTable: { ...set.versionTable, schema: 'meta' } },
      { ...set, format: 'dbmate' },
      { ...set, layout: 'journal' },
    ]
    const hashes = await Promise.all(
      variants.map(async (v) => (await computeFingerprint({ set: v, serverMajor: 17 })).hash),
    )
    for (const hash of hashes) expect(hash).not.toBe(base)
    expect(new Set(hashes).size).toBe(hashes.length)
  })

  test('should change when a seed file is added, edited or renamed, but not for CRLF in a seed', async () => {
    const file = path.join(dir, 'seed.sql')
    const none = (await fingerprint()).hash
    const seeded = (
      await fingerprint({ seeds: [{ file, content: 'INSERT INTO a VALUES (1);\n' }] })
    ).hash
    const edited = (
      await fingerprint({ seeds: [{ file, content: 'INSERT INTO a VALUES (2);\n' }] })
    ).hash
    const renamed = (
      await fingerprint({
        seeds: [{ file: path.join(dir, 'other.sql'), content: 'INSERT INTO a VALUES (1);\n' }],
      })
    ).hash
    const crlf = (
      await fingerprint({ seeds: [{ file, content: 'INSERT INTO a VALUES (1);\r\n' }] })
    ).hash
    expect(new Set([none, seeded, edited, renamed]).size).toBe(4)
    expect(crlf).toBe(seeded)
  })

  test('should not depend on where the project folder is (paths are relative)', async () => {
    const here = await fingerprint()
    const moved = path.join(os.tmpdir(), `pgtestbed-fp-moved-${path.basename(dir)}`)
    await rename(dir, moved)
    try {
      const set = await discoverMigrations({ migrations: 'migrations', cwd: moved, env: {} })
      expect((await computeFingerprint({ set, serverMajor: 17 })).hash).toBe(here.hash)
    } finally {
      await rename(moved, dir)
    }
  })
})
