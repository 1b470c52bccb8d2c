import { createRequire } from 'node:module'
import path from 'node:path'
import type { TestEnvironment } from 'jest-environment-node'

/** `jest-environment-node`'s class (the same shape in Jest 29 and 30). */
export type NodeEnvironmentClass = typeof TestEnvironment

/**
 * The packages between a project and the `jest-environment-node` its Jest uses: each is a direct
 * dependency of the one before, so the walk works under pnpm's strict layout too.
 */
const CHAIN = ['jest', '@jest/core', 'jest-config'] as const

function resolveFrom(dir: string, request: string): string | undefined {
  try {
    return createRequire(path.join(dir, 'noop.js')).resolve(request)
  } catch {
    return undefined
  }
}

/**
 * The path of the `jest-environment-node` belonging to the Jest installed for `rootDir`
 * (`jest` → `@jest/core` → `jest-config` → `jest-environment-node`), or `undefined` when that walk
 * fails (Jest run from elsewhere, an unusual layout).
 *
 * @example
 * resolveNodeEnvironment('/repo/app') // '/repo/node_modules/.pnpm/jest-environment-node@29.7.0/…/build/index.js'
 */
export function resolveNodeEnvironment(rootDir: string): string | undefined {
  let dir = rootDir
  for (const name of CHAIN) {
    const manifest = resolveFrom(dir, `${name}/package.json`)
    if (!manifest) return undefined
    dir = path.dirname(manifest)
  }
  return resolveFrom(dir, 'jest-environment-node')
}

const loaded = new Map<string, NodeEnvironmentClass>()

/**
 * The `jest-environment-node` class to extend for a project: the one of the user's Jest (so Jest
 * 29 runs with the 29 class and Jest 30 with the 30 class), else our own dependency.
 */
export function loadNodeEnvironment(rootDir: string): NodeEnvironmentClass {
  const file = resolveNodeEnvironment(rootDir) ?? require.resolve('jest-environment-node')
  let Base = loaded.get(file)
  if (!Base) {
    const module = require(file) as {
      TestEnvironment?: NodeEnvironmentClass
      default?: NodeEnvironmentClass
    }
    Base = module.TestEnvironment ?? module.default
    if (typeof Base !== 'function') {
      throw new TypeError(`${file} does not export a TestEnvironment class`)
    }
    loaded.set(file, Base)
  }
  return Base
}
