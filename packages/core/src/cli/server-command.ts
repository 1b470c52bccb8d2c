import { withDatabase } from '../internal/pg-connect.js'
import { stopEmbeddedServer } from '../servers/embedded/stop.js'
import { EXIT_FAILED, EXIT_OK } from './exit.js'
import { plural } from '../internal/plural.js'
import type { Output } from './output.js'
import type { EmbeddedOptions } from '../servers/embedded/server.js'
import { formatBytes } from '../servers/embedded/storage.js'
import {
  embeddedServerStatus,
  memoryStatus,
  type EmbeddedServerStatus,
  type MemoryStatus,
} from './server-status.js'

/** Flags of `pgtestbed server status`. */
export interface ServerStatusFlags {
  format?: string
  /**
   * `--show-url`: print the server's URL and each kept database's URL in full. Printed URLs are
   * otherwise never more than `user@host:port/database`; this flag is for a terminal, not a CI log.
   */
  showUrl?: boolean
}

/** Flags of `pgtestbed server stop`. */
export interface ServerStopFlags {
  force?: boolean
  /** `--remove-data`: also delete the data folders (in memory and on disk) of a stopped server. */
  removeData?: boolean
}

/** `1 process`, `2 processes`. */
function processes(count: number): string {
  return `${count} process${count === 1 ? '' : 'es'}`
}

function databaseLines(status: EmbeddedServerStatus, showUrl: boolean): string[] {
  if (status.databasesError) return [`  databases  could not be listed: ${status.databasesError}`]
  const databases = status.databases
  const templates = databases.filter((d) => d.kind === 'template')
  const kept = databases.filter((d) => d.kind === 'clone' && d.kept)
  const others = databases.length - templates.length - kept.length
  const lines = [
    `  databases  ${plural(templates.length, 'template')}, ${kept.length} kept, ${others} other`,
  ]
  const width = Math.max(0, ...[...templates, ...kept].map((d) => d.name.length))
  for (const d of templates) lines.push(`    ${d.name.padEnd(width)}  template`)
  for (const d of kept) {
    lines.push(`    ${d.name.padEnd(width)}  kept clone${d.label ? ` of ${d.label}` : ''}`)
    if (showUrl && status.adminUrl) lines.push(`      ${withDatabase(status.adminUrl, d.name)}`)
  }
  return lines
}

function describe(status: EmbeddedServerStatus, showUrl: boolean): string[] {
  const head = `embedded PostgreSQL ${status.major}`
  const where =
    status.storage === 'memory'
      ? `in memory${status.memoryBytes === undefined ? '' : `, ${formatBytes(status.memoryBytes)}`}`
      : 'on disk'
  const data = `  data       ${status.dataDir} (${where})`
  const attached =
    status.attached.length === 0
      ? '  attached   no process'
      : `  attached   ${processes(status.attached.length)}: ${status.attached.map((pid) => `pid ${pid}`).join(', ')}`
  const log = `  log        ${status.logFile}`
  if (!status.running) return [`${head}: not running`, data, log, attached]
  return [
    `${head}: running, pid ${status.pid}, port ${status.port}`,
    ...(showUrl && status.adminUrl ? [`  url        ${status.adminUrl}`] : []),
    data,
    log,
    attached,
    ...databaseLines(status, showUrl),
  ]
}

/** The memory folder's lines: pgtestbed's usage there (every workspace's), the budget, free space. */
function describeMemory(memory: MemoryStatus): string[] {
  const lines = [
    `memory in ${memory.dir}: pgtestbed's data takes ${formatBytes(memory.used)} of its ${formatBytes(memory.budget)} budget (embedded.memoryBudget), in ${plural(memory.roots.length, 'data folder')}; ${formatBytes(memory.free)} free of ${formatBytes(memory.size)}`,
  ]
  const width = Math.max(0, ...memory.roots.map((r) => formatBytes(r.bytes).length))
  for (const root of memory.roots) {
    const state = root.running ? 'running' : 'stopped'
    const notes = [
      ...(root.thisWorkspace ? ['this workspace'] : []),
      ...(root.kept.length > 0 ? [plural(root.kept.length, 'kept database')] : []),
      ...(!root.running && root.lastUsed ? [`last used ${root.lastUsed}`] : []),
    ]
    lines.push(
      `  ${formatBytes(root.bytes).padStart(width)}  ${state}  ${root.cacheDir ?? `${root.memoryRoot} (no owner.json: never evicted)`}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`,
    )
  }
  return lines
}

/**
 * `pgtestbed server status`: whether the workspace's embedded server runs, its pid, port, data
 * folder, the processes attached to it, and the templates and kept databases on it; then what
 * the memory folder holds: every workspace's pgtestbed data there (this OS user's), the memory
 * budget and the free space. Exit 0.
 */
export async function runServerStatus(
  cacheDir: string,
  flags: ServerStatusFlags,
  output: Output,
  embedded: Pick<EmbeddedOptions, 'memoryDir' | 'memoryBudget'> = {},
): Promise<number> {
  const showUrl = flags.showUrl === true
  const servers = await embeddedServerStatus(cacheDir)
  const memory = memoryStatus(cacheDir, servers, embedded)
  if (flags.format === 'json') {
    const shown = servers.map(({ adminUrl, ...status }) =>
      showUrl && adminUrl
        ? {
            ...status,
            url: adminUrl,
            databases: status.databases.map((d) =>
              d.kept ? { ...d, url: withDatabase(adminUrl, d.name) } : d,
            ),
          }
        : status,
    )
    output.print(JSON.stringify({ cacheDir, servers: shown, memory: memory ?? null }, null, 2))
    return EXIT_OK
  }
  if (!servers.some((s) => s.running)) {
    output.print(`pgtestbed: no embedded server is running for ${cacheDir}`)
  }
  for (const status of servers) {
    output.print(describe(status, showUrl).join('\n'))
  }
  if (memory) output.print(describeMemory(memory).join('\n'))
  return EXIT_OK
}

/**
 * `pgtestbed server stop [--force] [--remove-data]`: stops the workspace's embedded server (its
 * data is kept, so the next run starts it again with its templates). A server that test runs
 * still use is left running (exit 1) unless `--force`, which cuts their connections.
 * `--remove-data` also deletes the data of every stopped server (its data folder in memory and on
 * disk: every template and kept database), so the next run starts from initdb; a server left
 * running keeps its data.
 */
export async function runServerStop(
  cacheDir: string,
  flags: ServerStopFlags,
  output: Output,
): Promise<number> {
  const removeData = flags.removeData === true
  const results = await stopEmbeddedServer({ cacheDir, force: flags.force === true, removeData })
  const removed = results.flatMap((r) => r.removedDataDirs ?? [])
  const running = results.filter((r) => r.pid !== undefined)
  if (running.length === 0) {
    output.print(
      `pgtestbed: no embedded server is running for ${cacheDir}${removed.length === 0 ? '; nothing to stop' : ''}`,
    )
  }
  let code = EXIT_OK
  for (const r of running) {
    const server = `the embedded server (pid ${r.pid}, port ${r.port}, data ${r.dataDir})`
    if (r.stopped) {
      output.print(`pgtestbed: stopped ${server}`)
    } else {
      code = EXIT_FAILED
      const force = `pgtestbed server stop --force${removeData ? ' --remove-data' : ''}`
      output.note(
        `pgtestbed: left ${server} running${removeData ? ', with its data' : ''}: ${processes(r.activeUsers)} still use${r.activeUsers === 1 ? 's' : ''} it\n${output.errColors.cyan('fix:')} wait for the test runs to end, or run \`${force}\` to stop it anyway (their connections are cut)`,
      )
    }
  }
  for (const dir of removed) {
    output.print(`pgtestbed: removed the data folder ${dir} (its templates and databases)`)
  }
  if (removed.length > 0) output.print('pgtestbed: the next test run starts a fresh server')
  return code
}
