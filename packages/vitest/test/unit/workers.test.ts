import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { workersOf, type ProjectHandle } from '../../src/node/run.js'

function project(
  config: Partial<ProjectHandle['config']>,
  root: Partial<ProjectHandle['config']> = {},
) {
  return {
    name: '',
    config: { root: '/p', ...config },
    vitest: { config: { root: '/p', ...root } },
    provide() {},
  } satisfies ProjectHandle
}

const cpus = os.availableParallelism()

describe('workersOf (sizes the default clone pool)', () => {
  it("should follow Vitest's maxWorkers, the project's over the root's", () => {
    expect(workersOf(project({ maxWorkers: 3 }))).toBe(3)
    expect(workersOf(project({}, { maxWorkers: 5 }))).toBe(5)
    expect(workersOf(project({ maxWorkers: 2 }, { maxWorkers: 5 }))).toBe(2)
    expect(workersOf(project({ maxWorkers: '100%' }))).toBe(cpus)
  })

  it("should follow Vitest 3.2's per-pool maximum, and count one worker without file parallelism", () => {
    expect(
      workersOf(project({ pool: 'threads', poolOptions: { threads: { maxThreads: 6 } } })),
    ).toBe(6)
    expect(
      workersOf(project({ poolOptions: { forks: { singleFork: true } }, maxWorkers: 4 })),
    ).toBe(1)
    expect(workersOf(project({ maxWorkers: 4 }, { fileParallelism: false }))).toBe(1)
  })

  it('should default as Vitest does: the CPUs less one, half of them in watch mode', () => {
    expect(workersOf(project({}))).toBe(Math.max(cpus - 1, 1))
    expect(workersOf(project({}, { watch: true }))).toBe(Math.max(Math.floor(cpus / 2), 1))
  })
})
