import { afterEach, describe, expect, test, vi } from 'vitest'
import { serverStopCommand } from '../../src/servers/embedded/stop-command.js'
import { resolveCacheDir } from '../../src/servers/embedded/paths.js'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('the command printed to stop an embedded server kept up for a kept database', () => {
  test('should be plain `pgtestbed server stop` for the default cache folder', () => {
    vi.stubEnv('PGTESTBED_CACHE_DIR', '')
    expect(serverStopCommand(resolveCacheDir())).toBe('pgtestbed server stop')
  })

  test('should name any other cache folder, quoted for the shell when needed', () => {
    vi.stubEnv('PGTESTBED_CACHE_DIR', '')
    expect(serverStopCommand('/tmp/cache')).toBe('pgtestbed server stop --cache-dir /tmp/cache')
    expect(serverStopCommand("/tmp/it's mine")).toBe(
      `pgtestbed server stop --cache-dir '/tmp/it'\\''s mine'`,
    )
  })

  test('should name the folder PGTESTBED_CACHE_DIR chose, which a later shell may not have set', () => {
    vi.stubEnv('PGTESTBED_CACHE_DIR', '/tmp/ci-cache')
    expect(serverStopCommand(resolveCacheDir())).toBe(
      'pgtestbed server stop --cache-dir /tmp/ci-cache',
    )
  })
})
