import { resolveCacheDir } from '../servers/embedded/paths.js'
import { resolveServer, type ResolveServerOptions } from '../servers/resolve.js'
import type { PostgresServer, ReleaseOptions } from '../servers/types.js'
import { closeAdminPools } from '../templates/admin.js'

/**
 * Several test-runner projects (Vitest projects, Jest multi-project) may start a testbed in one
 * process, each through its own copy of this module. They share one server per server choice and
 * one in-flight template build per template through this cache on `globalThis`.
 */
interface Cache {
  servers: Map<string, { server: Promise<PostgresServer>; refs: number }>
  builds: Map<string, Promise<unknown>>
}

const CACHE_KEY = Symbol.for('pgtestbed.testbed.cache.v1')

function cache(): Cache {
  const holder = globalThis as Record<symbol, Cache | undefined>
  return (holder[CACHE_KEY] ??= { servers: new Map(), builds: new Map() })
}

function serverKey(options: ResolveServerOptions): string {
  const url = options.url ?? (process.env.PGTESTBED_URL || undefined)
  return JSON.stringify({
    server: options.server ?? 'auto',
    url,
    cacheDir: url ? undefined : resolveCacheDir(options),
    embedded: options.embedded,
    docker: options.docker,
  })
}

/** A shared server handle; `release` lets go of this share (the last share releases the server). */
export interface SharedServer {
  server: PostgresServer
  release(options?: ReleaseOptions): Promise<void>
}

/** Resolves the server, sharing one per server choice within the process. */
export async function acquireServer(options: ResolveServerOptions): Promise<SharedServer> {
  const servers = cache().servers
  const key = serverKey(options)
  let entry = servers.get(key)
  if (!entry) {
    entry = { server: resolveServer(options), refs: 0 }
    servers.set(key, entry)
    const current = entry
    current.server.catch(() => {
      if (servers.get(key) === current) servers.delete(key)
    })
  }
  entry.refs++
  const held = entry
  let server: PostgresServer
  try {
    server = await held.server
  } catch (error) {
    held.refs--
    throw error
  }
  let released = false
  return {
    server,
    async release(releaseOptions) {
      if (released) return
      released = true
      held.refs--
      if (held.refs > 0) return
      if (servers.get(key) === held) servers.delete(key)
      await closeAdminPools(server.adminUrl)
      await server.release(releaseOptions)
    },
  }
}

/**
 * Runs `build` once per key at a time within the process: a concurrent caller with the same key
 * gets the same promise (and `joined: true`).
 */
export async function dedupe<T>(
  key: string,
  build: () => Promise<T>,
): Promise<{ value: T; joined: boolean }> {
  const builds = cache().builds
  const running = builds.get(key) as Promise<T> | undefined
  if (running) return { value: await running, joined: true }
  const promise = build()
  builds.set(key, promise)
  try {
    return { value: await promise, joined: false }
  } finally {
    if (builds.get(key) === promise) builds.delete(key)
  }
}
