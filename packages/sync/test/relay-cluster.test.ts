// A relay cluster of real processes on a real PostgreSQL: 3 nodes, 3 stores, Node devices writing
// continuously; the node serving a store is killed (kill -9), twice. Every line a device was told
// "saved" must end up everywhere, on a brand-new device too.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { AutomergeUrl } from '@automerge/automerge-repo/slim'
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { issueToken } from '@tabsync/relay'
import { afterAll, expect, test } from 'vitest'
// The throwaway PostgreSQL server of the relay's own tests (a test helper, not package API).
import {
  freePort,
  startTestPostgres,
  type TestPostgres,
} from '../../relay/test/helpers/postgres.js'
import { openDevice, type Device, type SyncStatus } from '../src/index.js'

const SECRET = 'tabsync-cluster-test-secret-0123456789'
// Renewed every third of it; shorter flaps when the machine is loaded (renewals miss their deadline).
const LEASE_MS = 3000
const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@tabsync/relay')),
  '..',
  'bin',
  'tabsync-relay.js',
)
const STORES = ['store-a', 'store-b', 'store-c'] as const

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

async function tempDir(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'tabsync-cluster-test-'))
  cleanups.push(() => rm(path, { recursive: true, force: true }))
  return path
}

interface ClusterNodeProcess {
  readonly nodeId: string
  readonly port: number
  readonly syncUrl: string
  child: ChildProcess
  stderr: string
}

/** Starts (or restarts, same id and port) one relay node through the CLI. */
async function startNode(node: ClusterNodeProcess, postgres: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      String(node.port),
      '--data',
      await tempDir(),
      '--postgres',
      postgres,
      '--node-id',
      node.nodeId,
      '--advertise',
      node.syncUrl,
      '--lease-ms',
      String(LEASE_MS),
    ],
    {
      env: { ...process.env, TABSYNC_SECRET: SECRET, TABSYNC_RELAY_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
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

function kill9(node: ClusterNodeProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => node.child.once('exit', () => resolve()))
  node.child.kill('SIGKILL')
  return exited
}

const t0 = Date.now()
/** Progress on stderr, so a slow or stuck phase shows where it is. */
function step(what: string): void {
  if (process.env.CLUSTER_TEST_LOG)
    appendFileSync(process.env.CLUSTER_TEST_LOG, `[+${Date.now() - t0} ms] ${what}\n`)
}

/** Resolves when `ok` holds; the deadline only turns a hang into a message. */
let detail: () => string = () => ''
async function until(ok: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  step(`waiting for ${what}`)
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const settled = (s: SyncStatus) => s.state === 'online' && s.unsynced === 0

interface Writer {
  readonly device: Device
  readonly store: string
  readonly acked: string[]
}

test('a 3-node cluster survives kill -9 of store owners, twice, without losing a saved line', async () => {
  const pg: TestPostgres = await startTestPostgres()
  cleanups.push(() => pg.destroy())
  const nodes: ClusterNodeProcess[] = []
  for (let i = 1; i <= 3; i++) {
    const port = await freePort()
    nodes.push({
      nodeId: `n${i}`,
      port,
      syncUrl: `ws://127.0.0.1:${port}/sync`,
      child: undefined as unknown as ChildProcess,
      stderr: '',
    })
  }
  step('postgres up')
  await Promise.all(nodes.map((n) => startNode(n, pg.url)))
  step('nodes up')
  const urls = nodes.map((n) => n.syncUrl)

  /** A device whose one relay endpoint is the cluster, starting at node `first`. */
  async function device(deviceId: string, store: string, first: number, storeUrl?: string) {
    const token = await issueToken({
      secret: SECRET,
      deviceId,
      storeIds: [store],
      // The office creates the store: store configuration is the back office's right.
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
    all.push(d)
    return d
  }
  const all: Device[] = []
  const acked = (d: Device) => writers.find((w) => w.device === d)?.acked.length ?? 0
  detail = () =>
    all
      .map((d) => {
        const s = d.status()
        const ends = s.endpoints.map((e) => `${e.url} ${e.state}`).join(', ')
        return `${d.deviceId}: ${s.state} unsynced=${s.unsynced} acked=${acked(d)} [${ends}]`
      })
      .join('\n') +
    '\n' +
    nodes.map((n) => `${n.nodeId} ${n.port} stderr: ${n.stderr.slice(-1500)}`).join('\n')
  /** Awaits `p`, failing with every device's status if it takes longer than 30 s. */
  const within = async <T>(p: Promise<T>, what: string): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out: ${what}\n${detail()}`)), 30_000)
    })
    try {
      return await Promise.race([p, late])
    } finally {
      clearTimeout(timer)
    }
  }

  // Each store: an office device creates it through one node, a till joins through another (it is
  // sent to the owner), both write into one shared order.
  const writers: Writer[] = []
  const orders = new Map<string, { storeUrl: string; order: AutomergeUrl }>()
  for (const [i, store] of STORES.entries()) {
    step(`creating ${store}`)
    const office = await device(`office-${store}`, store, i)
    const { storeUrl } = await within(
      office.createStore({
        ...demoStoreInit(store, () => ''),
        // Two tables are enough here, and keep the setup short.
        tables: DEMO_TABLES.slice(0, 2),
      }),
      `${store} created`,
    )
    const { url } = await within(office.openOrder('t1', { guests: 4 }), `${store} order opened`)
    const till = await device(`till-${store}`, store, (i + 1) % 3, storeUrl)
    await within(till.ready(), `${store} till ready`)
    step(`${store} ready on its till`)
    orders.set(store, { storeUrl, order: url })
    writers.push({ device: office, store, acked: [] }, { device: till, store, acked: [] })
  }
  await until(() => writers.every((w) => settled(w.device.status())), 'every device online')

  // The rush: every device adds a line every ~60 ms; a line counts once `run` resolved ("saved").
  let rushing = true
  const rush = writers.map(async (w) => {
    const { order } = orders.get(w.store)!
    while (rushing) {
      try {
        w.acked.push(
          await w.device.run(order, (doc, ctx) => addLine(doc, ctx, { itemId: 'pasta' })),
        )
      } catch (e) {
        step(`${w.device.deviceId}: run failed: ${String(e)}`)
        throw e
      }
      if (w.acked.length === 1) step(`${w.device.deviceId}: first line saved`)
      await new Promise((r) => setTimeout(r, 60))
    }
  })

  const ownerOf = async (store: string): Promise<ClusterNodeProcess | undefined> => {
    const rows = await pg.query(
      `SELECT holder FROM tabsync_leases WHERE store_id = '${store}' AND expires_at > now()`,
    )
    const nodeId = rows[0]?.[0]?.split('/')[0]
    return nodes.find((n) => n.nodeId === nodeId)
  }
  // During the rush a device always has a change in flight: "online" is what can be waited for.
  const storeOnline = (store: string) =>
    writers.filter((w) => w.store === store).every((w) => w.device.status().state === 'online')
  const linesOf = (store: string) =>
    writers.filter((w) => w.store === store).reduce((n, w) => n + w.acked.length, 0)

  // Kill -9 the node serving a store, twice (restarting the dead one, same id and port).
  const failovers: number[] = []
  for (const store of ['store-a', 'store-b']) {
    await until(() => linesOf(store) > 10, `${store} writing`)
    const owner = await ownerOf(store)
    expect(owner, `${store} has a live lease`).toBeDefined()
    const killedAt = Date.now()
    await kill9(owner!)
    const before = linesOf(store)
    // Devices notice, reconnect to another node, which takes the lease once it expired.
    await until(async () => {
      const next = await ownerOf(store)
      return next !== undefined && next !== owner && linesOf(store) > before
    }, `${store} served by another node`)
    await until(() => storeOnline(store), `${store} devices back online after failover`)
    failovers.push(Date.now() - killedAt)
    await startNode(owner!, pg.url)
  }
  console.log(`failover (kill -9 to devices online again), lease ${LEASE_MS} ms: ${failovers} ms`)

  // Not here yet: PostgreSQL restarted under traffic. Tried: nodes report not ready and devices
  // keep saving, but a store whose lease lapsed during the outage and was retaken by the same node
  // did not converge between its two devices (both "online, unsynced 0"). See the relay README.

  // Stop the rush; everything converges.
  await until(() => STORES.every(storeOnline), 'every device online', 40_000)
  rushing = false
  await Promise.all(rush)
  await until(() => writers.every((w) => settled(w.device.status())), 'final sync')

  for (const store of STORES) {
    const { storeUrl, order } = orders.get(store)!
    const saved = writers.filter((w) => w.store === store).flatMap((w) => w.acked)
    expect(saved.length).toBeGreaterThan(20)
    const seen: string[][] = []
    for (const w of writers.filter((x) => x.store === store)) {
      await until(async () => {
        const lines = (await w.device.orderSummary(order)).lines
        return lines.length === saved.length
      }, `${w.device.deviceId} has every line`)
      seen.push((await w.device.orderSummary(order)).lines.map((l) => l.line.id).sort())
    }
    // A brand-new device, starting at a node chosen at random, gets every saved line.
    const start = Math.floor(Math.random() * 3)
    const fresh = await device(`new-${store}`, store, start, storeUrl)
    await within(fresh.ready(), `new device of ${store} ready`)
    await until(
      async () => (await fresh.orderSummary(order)).lines.length === saved.length,
      `new device of ${store} has every line (started at node ${start})`,
    )
    seen.push((await fresh.orderSummary(order)).lines.map((l) => l.line.id).sort())
    for (const ids of seen) expect(ids).toEqual([...saved].sort())
  }
}, 240_000)
