import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import {
  createRunDir,
  forgetOpenDatabase,
  noteKeptDatabase,
  noteOpenDatabase,
  readKeptDatabases,
  readOpenDatabases,
  removeRunDir,
} from '../../src/worker/run-notes.js'

const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function runDir(): string {
  const dir = createRunDir()
  made.push(dir)
  return dir
}

const open = (name: string) => ({
  file: `test/${name}.test.ts`,
  project: '',
  name,
  adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  template: 'pgtestbed_tpl_x',
  pid: process.pid,
})

describe('run notes', () => {
  test('should list open databases until they are forgotten, and kept ones by name', () => {
    const dir = runDir()
    noteOpenDatabase(dir, open('pgtestbed_c_b'))
    noteOpenDatabase(dir, open('pgtestbed_c_a'))
    expect(readOpenDatabases(dir).map((o) => o.name)).toEqual(['pgtestbed_c_a', 'pgtestbed_c_b'])
    forgetOpenDatabase(dir, 'pgtestbed_c_a')
    expect(readOpenDatabases(dir).map((o) => o.file)).toEqual(['test/pgtestbed_c_b.test.ts'])

    noteKeptDatabase(dir, {
      file: 'test/a.test.ts',
      project: 'api',
      name: 'pgtestbed_c_a',
      url: 'u',
    })
    expect(readKeptDatabases(dir)).toEqual([
      { file: 'test/a.test.ts', project: 'api', name: 'pgtestbed_c_a', url: 'u' },
    ])
    // Notes may hold admin URLs with a password: only their owner may read them.
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    for (const note of readdirSync(dir))
      expect(statSync(path.join(dir, note)).mode & 0o777).toBe(0o600)
    removeRunDir(dir)
    expect(readOpenDatabases(dir)).toEqual([])
  })

  test('should name the run folder after its process and remove folders of runs that died', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    const stale = path.join(os.tmpdir(), `pgtestbed-run-${dead}-stale`)
    const live = path.join(os.tmpdir(), `pgtestbed-run-${process.pid}-live`)
    for (const dir of [stale, live]) {
      mkdirSync(dir, { recursive: true })
      made.push(dir)
    }
    const dir = runDir()
    expect(path.basename(dir)).toMatch(new RegExp(`^pgtestbed-run-${process.pid}-`))
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(live)).toBe(true)
  })
})
