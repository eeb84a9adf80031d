// A relay cluster of real processes on a real PostgreSQL: 3 nodes, 4 stores, 3 Node devices per
// store writing continuously; the node serving a store is killed (kill -9), twice, then PostgreSQL itself is
// restarted under traffic. Every line a device was told "saved" must end up everywhere, on a
// brand-new device too, and the write audit must show that no two nodes ever wrote for one store.
import type { AutomergeUrl } from '@automerge/automerge-repo/slim'
import { addLine } from '@tabsync/core'
import { DEMO_TABLES, demoStoreInit } from '@tabsync/core/demo'
import { afterAll, expect, test } from 'vitest'
import { startTestPostgres, type TestPostgres } from '../../relay/test/helpers/postgres.js'
import type { Device } from '../src/index.js'
import {
  clusterDevice,
  clusterNodes,
  cleanups,
  describeDevices,
  diagnostics,
  kill9,
  runCleanups,
  settled,
  startNode,
  step,
  until,
  within,
  type ClusterNodeProcess,
} from './cluster-nodes.js'

// Renewed every third of it; shorter flaps when the machine is loaded (renewals miss their deadline).
const LEASE_MS = 3000
const STORES = ['store-a', 'store-b', 'store-c', 'store-d'] as const
/** The stores whose serving node is killed (kill -9), one after the other. */
const KILLED: readonly string[] = ['store-a', 'store-b']
// Every node records each write's store, holder and fence (checked at the end).
const NODE_OPTIONS = { leaseMs: LEASE_MS, env: { TABSYNC_WRITE_AUDIT: '1' } }

afterAll(runCleanups)

interface Writer {
  readonly device: Device
  readonly store: string
  readonly acked: string[]
}

test('a 3-node cluster survives kill -9 of store owners twice and a PostgreSQL restart without losing a saved line, one writer per store at a time', async () => {
  const pg: TestPostgres = await startTestPostgres()
  cleanups.push(() => pg.destroy())
  const nodes = await clusterNodes(3)
  step('postgres up')
  await Promise.all(nodes.map((n) => startNode(n, pg.url, NODE_OPTIONS)))
  step('nodes up')
  const urls = nodes.map((n) => n.syncUrl)

  const all: Device[] = []
  const device = async (deviceId: string, store: string, first: number, storeUrl?: string) => {
    const d = await clusterDevice(deviceId, store, urls, first, storeUrl)
    all.push(d)
    return d
  }
  const acked = (d: Device) => writers.find((w) => w.device === d)?.acked.length ?? 0
  diagnostics.detail = () =>
    describeDevices(all, acked) +
    '\n' +
    nodes.map((n) => `${n.nodeId} ${n.port} stderr: ${n.stderr.slice(-1500)}`).join('\n')

  // Each store: an office device creates it through one node, two tills join through the others
  // (they are sent to the owner), all three write into one shared order.
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
    const tills = [
      await device(`till-1-${store}`, store, (i + 1) % 3, storeUrl),
      await device(`till-2-${store}`, store, (i + 2) % 3, storeUrl),
    ]
    for (const till of tills) await within(till.ready(), `${till.deviceId} ready`)
    step(`${store} ready on its tills`)
    orders.set(store, { storeUrl, order: url })
    writers.push(
      { device: office, store, acked: [] },
      ...tills.map((till) => ({ device: till, store, acked: [] })),
    )
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
  const allLines = () => writers.reduce((n, w) => n + w.acked.length, 0)

  // Kill -9 the node serving a store, twice (restarting the dead one, same id and port).
  const failovers: number[] = []
  for (const store of KILLED) {
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
    await startNode(owner!, pg.url, NODE_OPTIONS)
  }
  console.log(`failover (kill -9 to devices online again), lease ${LEASE_MS} ms: ${failovers} ms`)

  // PostgreSQL restarted under traffic: the nodes give their stores up when their leases run out
  // (devices go offline and keep saving locally), and take them back once it answers again.
  await until(() => STORES.every(storeOnline), 'every device online before the restart', 40_000)
  step('stopping PostgreSQL')
  await pg.stop()
  await until(() => all.every((d) => d.status().state !== 'online'), 'every device offline')
  const offline = allLines()
  await until(() => allLines() > offline + 20, 'devices saving locally while PostgreSQL is down')
  step('starting PostgreSQL')
  await pg.start()

  // Stop the rush; everything converges.
  await until(() => STORES.every(storeOnline), 'every device online', 40_000)
  const restarted = allLines()
  await until(() => allLines() > restarted + 20, 'devices writing after the restart')
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

  // Cluster-wide: per store, in commit order, the fencing numbers of accepted writes never go
  // down and each belongs to one holder (one node process) only.
  const audit = await pg.query(
    'SELECT store_id, holder, fence FROM tabsync_write_audit ORDER BY id',
  )
  expect(audit.length).toBeGreaterThan(0)
  for (const store of STORES) {
    const rows = audit.filter(([s]) => s === store)
    const holderOf = new Map<number, string>()
    let last = 0
    for (const [, holder, fenceText] of rows) {
      const fence = Number(fenceText)
      expect(fence, `${store}: fence went down after ${last}`).toBeGreaterThanOrEqual(last)
      last = fence
      expect(holderOf.get(fence) ?? holder, `${store}: fence ${fence} has two holders`).toBe(holder)
      holderOf.set(fence, holder!)
    }
    // Killed stores moved at least once, and every store was taken back after the restart.
    expect(holderOf.size, `${store}: holders over time`).toBeGreaterThanOrEqual(
      KILLED.includes(store) ? 2 : 1,
    )
  }
}, 240_000)
