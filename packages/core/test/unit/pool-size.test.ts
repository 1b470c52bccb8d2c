import { describe, expect, it } from 'vitest'
import {
  DEFAULT_POOL_MAX,
  DEFAULT_POOL_MAX_BYTES,
  DEFAULT_POOL_MIN,
  defaultPoolSize,
} from '../../src/testbed/pool-size.js'

const MB = 1024 ** 2
const roomy = { freeConnections: 90, templateBytes: 13 * MB, maxBytes: DEFAULT_POOL_MAX_BYTES }

describe('defaultPoolSize', () => {
  it('should keep one ready clone per worker', () => {
    expect(defaultPoolSize(6, roomy)).toBe(6)
    expect(defaultPoolSize(12, roomy)).toBe(12)
  })

  it(`should keep at least ${DEFAULT_POOL_MIN} with fewer workers, so a refill that falls behind is not met by a second copy`, () => {
    expect(defaultPoolSize(1, roomy)).toBe(DEFAULT_POOL_MIN)
    expect(defaultPoolSize(2, roomy)).toBe(DEFAULT_POOL_MIN)
  })

  it(`should keep at most ${DEFAULT_POOL_MAX} however many workers run`, () => {
    expect(defaultPoolSize(64, roomy)).toBe(DEFAULT_POOL_MAX)
  })

  it('should fit the ready clones in the memory bound, and keep none of a template larger than it', () => {
    expect(defaultPoolSize(8, { ...roomy, templateBytes: 300 * MB })).toBe(3)
    expect(defaultPoolSize(8, { ...roomy, templateBytes: 2 * DEFAULT_POOL_MAX_BYTES })).toBe(0)
  })

  it('should keep none when the server has few connections left', () => {
    expect(defaultPoolSize(6, { ...roomy, freeConnections: 11 })).toBe(0)
    expect(defaultPoolSize(6, { ...roomy, freeConnections: 12 })).toBe(6)
  })
})
