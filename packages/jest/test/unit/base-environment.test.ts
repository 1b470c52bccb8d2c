import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadNodeEnvironment, resolveNodeEnvironment } from '../../src/base-environment.js'

const PACKAGE_DIR = path.resolve(import.meta.dirname, '../..')

describe('the jest-environment-node to extend', () => {
  test('should be the one of the Jest installed for the project (30 here, 29 in the lane)', () => {
    expect(resolveNodeEnvironment(PACKAGE_DIR)).toMatch(/jest-environment-node@30\.5\.2\//)
    expect(resolveNodeEnvironment(path.join(PACKAGE_DIR, 'test/jest29'))).toMatch(
      /jest-environment-node@29\.7\.0\//,
    )
  })

  test('should still give a Node environment class for a folder without Jest', () => {
    // (Under pnpm, NODE_PATH may still reach a Jest; otherwise our own dependency is used.)
    const Base = loadNodeEnvironment(os.tmpdir())
    expect(typeof Base).toBe('function')
    expect(typeof Base.prototype.getVmContext).toBe('function')
    expect(typeof Base.prototype.setup).toBe('function')
  })

  test('should load a different class for Jest 29', () => {
    expect(loadNodeEnvironment(path.join(PACKAGE_DIR, 'test/jest29'))).not.toBe(
      loadNodeEnvironment(PACKAGE_DIR),
    )
  })
})
