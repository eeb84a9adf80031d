// Relay cluster nodes as real processes (the CLI, `serve --postgres`), and cluster devices, for
// the cluster tests of this folder.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { issueToken } from '@tabsync/relay'
// The relay's cluster test helpers (node addresses, `serve` arguments): not package API.
import { clusterServeArgs, nodeAddress } from '../../relay/test/helpers/cluster.js'
import { openDevice, type Device, type SyncStatus } from '../src/index.js'

export const CLUSTER_SECRET = 'tabsync-cluster-test-secret-0123456789'
const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@tabsync/relay')),
  '..',
  'bin',
  'tabsync-relay.js',
)

/** What a test must undo at the end, newest first (see {@link runCleanups}). */
export const cleanups: (() => Promise<unknown>)[] = []

export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
}

export async function tempDir(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'tabsync-cluster-test-'))
  cleanups.push(() => rm(path, { recursive: true, force: true }))
  return path
}

/** One relay node process of a cluster; `child` changes when it is restarted. */
export interface ClusterNodeProcess {
  readonly nodeId: string
  readonly port: number
  readonly syncUrl: string
  child: ChildProcess
  stderr: string
  /** The data directory of the latest start. */
  dataDir: string
}

/** `count` node slots (ids `n1`..., free ports), not started. */
export async function clusterNodes(count: number): Promise<ClusterNodeProcess[]> {
  const nodes: ClusterNodeProcess[] = []
  for (let i = 1; i <= count; i++) {
    nodes.push({
      ...(await nodeAddress(`n${i}`)),
      child: undefined as unknown as ChildProcess,
      stderr: '',
      dataDir: '',
    })
  }
  return nodes
}

/**
 * Starts (or restarts, same id and port) one relay node through the CLI; with no `postgres`, a
 * single relay on its own file storage (same port and secret), for the same devices.
 */
export async function startNode(
  node: ClusterNodeProcess,
  postgres: string | undefined,
  options: { leaseMs: number; env?: Record<string, string> },
): Promise<void> {
  node.dataDir = await tempDir()
  const args =
    postgres === undefined
      ? ['--port', String(node.port), '--data', node.dataDir]
      : clusterServeArgs(node, { postgres, dataDir: node.dataDir, leaseMs: options.leaseMs })
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: {
      ...process.env,
      TABSYNC_SECRET: CLUSTER_SECRET,
      TABSYNC_RELAY_LOG: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  node.child = child
  node.stderr = ''
  child.stderr?.on('data', (d: Buffer) => (node.stderr += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    void exited.then(() => reject(new Error(`node exited before listening:\n${node.stderr}`)))
  })
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
}

export function kill9(node: ClusterNodeProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => node.child.once('exit', () => resolve()))
  node.child.kill('SIGKILL')
  return exited
}

const t0 = Date.now()
/** Progress in the file named by CLUSTER_TEST_LOG, so a slow or stuck phase shows where it is. */
export function step(what: string): void {
  if (process.env.CLUSTER_TEST_LOG)
    appendFileSync(process.env.CLUSTER_TEST_LOG, `[+${Date.now() - t0} ms] ${what}\n`)
}

/** What a timeout message adds (every device's status, the nodes' last log lines). */
export const diagnostics: { detail: () => string } = { detail: () => '' }

/** Resolves when `ok` holds; the deadline only turns a hang into a message. */
export async function until(
  ok: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
): Promise<void> {
  step(`waiting for ${what}`)
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${diagnostics.detail()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Awaits `p`, failing with the diagnostics if it takes longer than `ms`. */
export async function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}\n${diagnostics.detail()}`)), ms)
  })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

export const settled = (s: SyncStatus): boolean => s.state === 'online' && s.unsynced === 0

/**
 * A device whose one relay endpoint is the cluster: `urls[first]` then the others as
 * `alternateUrls`. Office devices (`office-...`) get a back-office token (they create the store).
 */
export async function clusterDevice(
  deviceId: string,
  store: string,
  urls: readonly string[],
  first: number,
  storeUrl?: string,
): Promise<Device> {
  const token = await issueToken({
    secret: CLUSTER_SECRET,
    deviceId,
    storeIds: [store],
    role: deviceId.startsWith('office-') ? 'backoffice' : 'terminal',
  })
  const ordered = [...urls.slice(first), ...urls.slice(0, first)]
  const d = await openDevice({
    deviceId,
    token,
    endpoints: [{ url: ordered[0]!, kind: 'relay', alternateUrls: ordered.slice(1) }],
    storage: { directory: await tempDir() },
    backoff: { initialMs: 50, maxMs: 400 },
    ...(storeUrl ? { storeUrl } : {}),
  })
  cleanups.push(() => d.close())
  return d
}

/** One line per device (state, unsynced, lines acknowledged, endpoints) for timeout messages. */
export function describeDevices(devices: readonly Device[], acked: (d: Device) => number): string {
  return devices
    .map((d) => {
      const s = d.status()
      const ends = s.endpoints.map((e) => `${e.url} ${e.state}`).join(', ')
      return `${d.deviceId}: ${s.state} unsynced=${s.unsynced} acked=${acked(d)} [${ends}]`
    })
    .join('\n')
}
