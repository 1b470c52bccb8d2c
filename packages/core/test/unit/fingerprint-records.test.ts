import { describe, expect, test } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import {
  cloneNameFor,
  poolNameFor,
  buildNameFor,
  MAX_IDENTIFIER_BYTES,
  templateNameFor,
} from '../../src/templates/naming.js'
import {
  assertOwned,
  encodeRecord,
  newRecord,
  parseRecord,
  type DatabaseEntry,
} from '../../src/templates/ownership.js'

const hash = 'ab'.repeat(32)
const template = templateNameFor(hash)

describe('ownership records', () => {
  test('should read back the record it writes, with this process as owner', () => {
    const record = newRecord({ kind: 'clone', project: 'p1', template, label: 'users.test.ts' })
    const parsed = parseRecord(encodeRecord(record))
    expect(parsed).toEqual(record)
    expect(parsed?.pid).toBe(process.pid)
    expect(encodeRecord(record).startsWith('pgtestbed:{')).toBe(true)
  })

  test('should not accept comments that are not complete pgtestbed records', () => {
    const valid = JSON.parse(encodeRecord(newRecord({ kind: 'clone', project: 'p' })).slice(10))
    for (const comment of [
      null,
      '',
      'my database',
      'pgtestbed:',
      'pgtestbed:not json',
      'pgtestbed:[]',
      `pgtestbed:${JSON.stringify({ ...valid, v: 2 })}`,
      `pgtestbed:${JSON.stringify({ ...valid, kind: 'other' })}`,
      `pgtestbed:${JSON.stringify({ ...valid, pid: '12' })}`,
      `pgtestbed:${JSON.stringify({ ...valid, createdAt: 'yesterday' })}`,
      `pgtestbed:${JSON.stringify({ ...valid, released: 'yes' })}`,
      `pgtestbed:${JSON.stringify({ ...valid, project: undefined })}`,
      `PGTESTBED:${JSON.stringify(valid)}`,
    ]) {
      expect(parseRecord(comment), String(comment)).toBeUndefined()
    }
  })

  test('should refuse (NOT_OWNED) a database with the prefix but no record, naming it', () => {
    const entry: DatabaseEntry = {
      name: 'pgtestbed_mine',
      record: undefined,
      isTemplate: false,
      allowConnections: true,
    }
    try {
      assertOwned(entry)
      expect.unreachable()
    } catch (error) {
      expect(isPgtestbedError(error) && error.code).toBe('NOT_OWNED')
      expect((error as Error).message).toContain('"pgtestbed_mine"')
      expect((error as Error).message).toContain('no pgtestbed ownership record')
    }
  })

  test('should refuse (NOT_OWNED) a database with a record but without the prefix', () => {
    const entry: DatabaseEntry = {
      name: 'app_db',
      record: newRecord({ kind: 'clone', project: 'p' }),
      isTemplate: false,
      allowConnections: true,
    }
    expect(() => assertOwned(entry)).toThrow(/does not start with "pgtestbed_"/)
  })
})

describe('database names', () => {
  test('should make clone, pool and build names unique and within 63 bytes', () => {
    const names = new Set<string>()
    for (let i = 0; i < 1000; i++) names.add(cloneNameFor(template))
    expect(names.size).toBe(1000)
    for (const name of [
      cloneNameFor(template),
      poolNameFor(template),
      buildNameFor(hash),
      template,
    ]) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES)
      expect(name).toMatch(/^pgtestbed_[a-z]+_[0-9a-f_]+$/)
    }
  })
})
