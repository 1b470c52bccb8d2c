import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isPgtestbedError } from '../../src/errors.js'
import {
  chooseStorage,
  memoryDirProblem,
  requestedStorage,
} from '../../src/servers/embedded/storage.js'
import { isOutOfSpace } from '../../src/internal/out-of-space.js'
import { isMemoryBudget, resolveMemoryBudget } from '../../src/servers/embedded/budget.js'
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

describe('resolveMemoryBudget', () => {
  it('should take the budget as bytes, a size or a share of the memory folder, and name a wrong one', () => {
    expect(resolveMemoryBudget(1234, onDisk, {})).toBe(1234)
    expect(resolveMemoryBudget('512MB', onDisk, {})).toBe(512 * 1024 ** 2)
    expect(resolveMemoryBudget('2 GiB', onDisk, {})).toBe(2 * 1024 ** 3)
    expect(resolveMemoryBudget('1GB', onDisk, { PGTESTBED_EMBEDDED_MEMORY_BUDGET: '3kB' })).toBe(
      3072,
    )
    const size = statfsSync(onDisk)
    expect(resolveMemoryBudget(undefined, onDisk, {})).toBe(
      Math.floor(size.blocks * size.bsize * 0.25),
    )
    expect(() => resolveMemoryBudget('lots', onDisk, {})).toThrow(
      `embedded.memoryBudget must be a number of bytes, a size such as '1GB' or a share of ${onDisk} such as '25%', not "lots"`,
    )
    expect(() =>
      resolveMemoryBudget(undefined, onDisk, { PGTESTBED_EMBEDDED_MEMORY_BUDGET: '120%' }),
    ).toThrow(/^PGTESTBED_EMBEDDED_MEMORY_BUDGET must be /)
  })

  it('should tell a config file which values are budgets', () => {
    for (const good of [0, 1_000_000, '1GB', '512 MiB', '10%', '0.5TB']) {
      expect(isMemoryBudget(good), String(good)).toBe(true)
    }
    for (const bad of [-1, Number.NaN, 'lots', '120%', '1 GB of RAM', true, null]) {
      expect(isMemoryBudget(bad), String(bad)).toBe(false)
    }
  })
})

describe('isOutOfSpace', () => {
  it("should see a full file system in PostgreSQL's 53100, Node's ENOSPC or their words, through causes", () => {
    const disk = Object.assign(
      new Error('could not extend file "base/5/16384": No space left on device'),
      {
        code: '53100',
      },
    )
    expect(isOutOfSpace(new Error('wrapped', { cause: disk }))).toBe(true)
    expect(isOutOfSpace(Object.assign(new Error('write failed'), { code: 'ENOSPC' }))).toBe(true)
    expect(isOutOfSpace(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false)
  })

  it("should read the server's log only for a vague error (XX000, a lost server)", () => {
    const log = path.join(onDisk, 'postgres.log')
    writeFileSync(
      log,
      'PANIC:  could not write to file "pg_wal/xlogtemp.42": No space left on device\n',
    )
    const vague = Object.assign(new Error('checkpoint request failed'), { code: 'XX000' })
    expect(isOutOfSpace(vague, log)).toBe(true)
    expect(isOutOfSpace(vague)).toBe(false)
    expect(isOutOfSpace(Object.assign(new Error('syntax error'), { code: '42601' }), log)).toBe(
      false,
    )
  })
})
