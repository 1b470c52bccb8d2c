import path from 'node:path'

export { OPTIONS_KEY } from './project.js'
export { DEFAULT_ENV_VAR, DEFAULT_KEEP_ON_FAILURE } from '@pgtestbed/core/runner'
export type { PgtestbedJestOptions } from './project.js'

/** The three Jest config entries pgtestbed needs, as absolute paths. */
export interface PgtestbedJestPreset {
  globalSetup: string
  globalTeardown: string
  testEnvironment: string
}

/**
 * What `preset: '@pgtestbed/jest'` sets: globalSetup, globalTeardown and testEnvironment. Spread
 * it into a config that already has a preset (Jest takes only one), or into one `projects` entry.
 *
 * @example
 * // jest.config.js
 * const { preset } = require('@pgtestbed/jest')
 * module.exports = { preset: 'ts-jest', ...preset }
 */
export const preset: PgtestbedJestPreset = {
  globalSetup: path.join(__dirname, 'global-setup.js'),
  globalTeardown: path.join(__dirname, 'global-teardown.js'),
  testEnvironment: path.join(__dirname, 'environment.js'),
}
