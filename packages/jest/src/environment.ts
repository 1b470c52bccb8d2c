import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment'
import type { TestFile } from '@pgtestbed/core/worker'
import { loadNodeEnvironment, type NodeEnvironmentClass } from './base-environment.js'
import { forEnvironment } from './errors.js'
import { databaseForFile } from './file-database.js'

/** The parts of jest-circus events and state we look at (the same in Jest 29 and 30). */
interface CircusEvent {
  name: string
  test?: { errors?: unknown[] }
}
interface CircusState {
  unhandledErrors?: unknown[]
}

/** Adds pgtestbed's per-file database to a `jest-environment-node` class. */
function withPgtestbed(Base: NodeEnvironmentClass): NodeEnvironmentClass {
  return class PgtestbedEnvironment extends Base {
    readonly #config: JestEnvironmentConfig
    readonly #testPath: string
    #database: TestFile | undefined
    #failed = false

    constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
      super(config, context)
      this.#config = config
      this.#testPath = context.testPath
    }

    override async setup(): Promise<void> {
      await super.setup()
      const env = this.global.process.env
      try {
        this.#database = await databaseForFile(this.#config.projectConfig, this.#testPath, env)
      } catch (error) {
        throw forEnvironment(error)
      }
    }

    async handleTestEvent(event: CircusEvent, state: CircusState): Promise<void> {
      if (event.name === 'test_done' && (event.test?.errors?.length ?? 0) > 0) this.#failed = true
      if (event.name === 'hook_failure') this.#failed = true
      if (event.name === 'run_finish' && (state.unhandledErrors?.length ?? 0) > 0) {
        this.#failed = true
      }
    }

    override async teardown(): Promise<void> {
      try {
        // A file that failed to load (an import threw) ran no test: its database is the template's
        // copy, so it is dropped like any other.
        await this.#database?.release(this.#failed)
      } finally {
        this.#database = undefined
        await super.teardown()
      }
    }
  }
}

const classes = new Map<NodeEnvironmentClass, NodeEnvironmentClass>()

/**
 * Jest test environment (`testEnvironment: '@pgtestbed/jest/environment'`, set by the preset):
 * Node's environment plus a database per test file. Before the file runs it clones the template
 * into a fresh database and sets `process.env.DATABASE_URL` (see `envVar`) for that file only;
 * afterwards it drops the database, or keeps it and prints its URL when a test or hook failed
 * (`keepOnFailure`), and names the file when connections were left open.
 *
 * It extends the `jest-environment-node` of the Jest that runs the project (29 or 30), found from
 * the project's `rootDir`, so constructing it returns an instance of that subclass.
 *
 * @example
 * // jest.config.js
 * module.exports = {
 *   globalSetup: '@pgtestbed/jest/global-setup',
 *   globalTeardown: '@pgtestbed/jest/global-teardown',
 *   testEnvironment: '@pgtestbed/jest/environment',
 * }
 */
const PgtestbedEnvironment = function PgtestbedEnvironment(
  config: JestEnvironmentConfig,
  context: EnvironmentContext,
): InstanceType<NodeEnvironmentClass> {
  const Base = loadNodeEnvironment(config.projectConfig.rootDir)
  let Environment = classes.get(Base)
  if (!Environment) {
    Environment = withPgtestbed(Base)
    classes.set(Base, Environment)
  }
  return new Environment(config, context)
} as unknown as NodeEnvironmentClass

export default PgtestbedEnvironment
