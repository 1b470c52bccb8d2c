// The globalSetup the pgtestbed() plugin adds to every project (Vitest imports it by path).
import type { TestProject } from 'vitest/node'
import { setupProject } from './node/setup-project.js'

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupProject(project)
}
