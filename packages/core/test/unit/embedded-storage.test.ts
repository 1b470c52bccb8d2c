import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import {
  chooseStorage,
  memoryDirProblem,
  requestedStorage,
} from '../../src/servers/embedded/storage.js'
import { resolveCloneStrategy } from '../../src/templates/clone.js'

const linux = process.platform === 'linux'
// A folder on the disk: /tmp is not a tmpfs on this project's machines and CI runners.
const onDisk = mkdtempSync(path.join(os.tmpdir(), 'pgtestbed-storage-unit-'))
const shmUsable = memoryDirProblem('/dev/shm') === undefined

afterAll(() => rmSync(onDisk, { recursive: true, force: true }))

describe('requestedStorage', () => {
  it("should default to 'auto' and take the option when the environment says nothing", () => {
    expect(requestedStorage(undefined, {})).toBe('auto')
    expect(requestedStorage('disk', {})).toBe('disk')
    expect(requestedStorage('memory', { PGTESTBED_EMBEDDED_STORAGE: '' })).toBe('memory')
  })

  it('should let PGTESTBED_EMBEDDED_STORAGE override the option', () => {
    expect(requestedStorage('memory', { PGTESTBED_EMBEDDED_STORAGE: 'disk' })).toBe('disk')
  })

  it('should name the option or the variable that holds an unknown value', () => {
    const fromOption = (() => {
      try {
        return requestedStorage('tmpfs' as never, {})
      } catch (error) {
        return error
      }
    })()
    expect(isPgtestbedError(fromOption) && fromOption.code).toBe('INVALID_OPTIONS')
    expect((fromOption as Error).message).toBe(
      `embedded.storage must be 'auto', 'memory' or 'disk', not "tmpfs"`,
    )
    expect(() => requestedStorage('disk', { PGTESTBED_EMBEDDED_STORAGE: 'RAM' })).toThrow(
      `PGTESTBED_EMBEDDED_STORAGE must be 'auto', 'memory' or 'disk', not "RAM"`,
    )
  })
})

describe.runIf(linux)('memoryDirProblem', () => {
  it('should refuse a folder that is not a tmpfs, a missing folder and a file', () => {
    expect(memoryDirProblem(onDisk)).toBe(`${onDisk} is not a RAM-backed file system (tmpfs)`)
    expect(memoryDirProblem(path.join(onDisk, 'nope'))).toBe(
      `${path.join(onDisk, 'nope')} does not exist`,
    )
    const file = path.join(onDisk, 'file')
    writeFileSync(file, '')
    expect(memoryDirProblem(file)).toBe(`${file} is not a folder`)
  })

  it.runIf(shmUsable)('should refuse a tmpfs with less free space than the floor', () => {
    expect(memoryDirProblem('/dev/shm', 2 ** 60)).toMatch(
      /^\/dev\/shm has [\d.]+ GiB free, less than the 1073741824\.0 GiB pgtestbed wants$/,
    )
  })
})

describe('chooseStorage', () => {
  it('should not look at the memory folder when the disk is asked for', () => {
    expect(chooseStorage('disk', path.join(onDisk, 'nope'))).toEqual({ storage: 'disk' })
  })

  it.runIf(linux)(
    'should fall back to the disk with a notice for auto, and throw for memory',
    () => {
      expect(chooseStorage('auto', onDisk)).toEqual({
        storage: 'disk',
        notice: `keeping the embedded server's data on disk (${onDisk} is not a RAM-backed file system (tmpfs)); clones are faster with a tmpfs at ${onDisk}`,
      })
      let error: unknown
      try {
        chooseStorage('memory', onDisk)
      } catch (caught) {
        error = caught
      }
      expect(isPgtestbedError(error) && error.code).toBe('EMBEDDED_START_FAILED')
      expect(isPgtestbedError(error) && error.fix).toContain('PGTESTBED_EMBEDDED_STORAGE=disk')
    },
  )

  it.runIf(shmUsable)('should pick memory for auto when /dev/shm is a usable tmpfs', () => {
    expect(chooseStorage('auto', '/dev/shm')).toEqual({ storage: 'memory' })
  })
})

describe('resolveCloneStrategy', () => {
  it("should resolve 'auto' to file_copy when checkpoints are cheap (memory or fsync off), else wal_log", () => {
    expect(resolveCloneStrategy('auto', 17, { medium: 'memory', fsync: false })).toBe('file_copy')
    expect(resolveCloneStrategy('auto', 17, { medium: 'memory', fsync: true })).toBe('file_copy')
    expect(resolveCloneStrategy('auto', 17, { medium: 'disk', fsync: false })).toBe('file_copy')
    expect(resolveCloneStrategy('auto', 15, { medium: 'unknown', fsync: false })).toBe('file_copy')
    expect(resolveCloneStrategy('auto', 17, { medium: 'disk', fsync: true })).toBe('wal_log')
    expect(resolveCloneStrategy('auto', 15, { medium: 'unknown', fsync: true })).toBe('wal_log')
    expect(resolveCloneStrategy('auto', 15)).toBe('wal_log')
  })

  it('should keep an explicit strategy, and use none before PostgreSQL 15', () => {
    const memory = { medium: 'memory', fsync: false } as const
    expect(resolveCloneStrategy('wal_log', 17, memory)).toBe('wal_log')
    expect(resolveCloneStrategy('file_copy', 15, { medium: 'unknown', fsync: true })).toBe(
      'file_copy',
    )
    expect(resolveCloneStrategy('auto', 14, memory)).toBeNull()
  })
})
