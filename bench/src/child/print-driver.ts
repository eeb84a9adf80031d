// Child process: fire -> ticket bytes at a fake ESC/POS printer. A till fires kitchen lines;
// a print bridge (@tabsync/printer over a @tabsync/sync device, as in production) prints them.
// `local`: the till fires in the bridge device's own repo (no network). `stock`: till -> stock
// relay -> the bridge's device (stock WebSocket adapter). `tabsync`: till device -> Tabsync
// relay -> the bridge's device.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import {
  DEMO_TABLES,
  addLine,
  demoStoreInit,
  fire,
  type OrderDoc,
  type TableDoc,
} from '@tabsync/core'
import {
  createDeviceSource,
  createPrintBridge,
  startFakePrinter,
  ticketRef,
} from '@tabsync/printer'
import { openDevice, silentLogger, type Device } from '@tabsync/sync'
import { commandContext } from '../fixtures/orders.js'
import { until } from '../fixtures/schedule.js'
import { createRepoStore, openOrderIn, type RepoStore } from '../fixtures/store-docs.js'
import { tabsyncDevice, whenDeviceOnline } from '../paths/tabsync-pair.js'
import { stockClient, whenConnected } from '../peers/stock-repo.js'
import { now, sleep } from '../workload.js'
import { serve } from './serve.js'

const kind = process.env['TABSYNC_BENCH_PATH'] ?? 'local'
const relayUrl = process.env['TABSYNC_BENCH_URL']

const printed = new Map<string, number>()
// The fake printer's own `ref` parser misses ids with '_' (core's ids are base64url now), so
// read the `#ref` footer from the receipt text.
const printer = await startFakePrinter({
  onReceipt: (r) => {
    if (!r.complete) return
    for (const m of r.text.matchAll(/#([0-9A-Za-z_-]{8})/g)) printed.set(m[1] as string, now())
  },
})
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tabsync-bench-print-'))
let till: Repo
let bridgeDevice: Device
let world: RepoStore
const closers: (() => Promise<void>)[] = []
if (kind === 'tabsync') {
  // Two @tabsync/sync devices through the Tabsync relay: the till and the bridge's machine.
  const secret = process.env['TABSYNC_BENCH_SECRET'] ?? ''
  // It creates the store document too: a back-office role (the relay enforces rights per role).
  const tillDevice = await tabsyncDevice(
    relayUrl as string,
    secret,
    'till-1',
    ['store-print'],
    {},
    'backoffice',
  )
  await whenDeviceOnline(tillDevice)
  till = tillDevice.repo
  world = createRepoStore(till, 'store-print')
  await sleep(300)
  bridgeDevice = await tabsyncDevice(relayUrl as string, secret, 'bridge-1', ['store-print'], {
    storeUrl: world.storeUrl,
  })
  await bridgeDevice.ready()
  closers.push(
    () => tillDevice.close(),
    () => bridgeDevice.close(),
  )
} else if (kind === 'local') {
  // One device: it creates the store, the till fires in its repo, the bridge reads it.
  bridgeDevice = await openDevice({ deviceId: 'bridge-1', storage: 'memory', logger: silentLogger })
  await bridgeDevice.createStore({ ...demoStoreInit('store-print', () => ''), tables: DEMO_TABLES })
  till = bridgeDevice.repo
  world = await deviceStore(bridgeDevice)
  closers.push(() => bridgeDevice.close())
} else {
  till = stockClient(relayUrl as string, `till-${process.pid}`)
  await whenConnected(till)
  world = createRepoStore(till, 'store-print')
  bridgeDevice = await openDevice({
    deviceId: 'bridge-1',
    storeUrl: world.storeUrl,
    storage: 'memory',
    network: [new WebSocketClientAdapter(relayUrl as string)],
    logger: silentLogger,
  })
  await bridgeDevice.ready()
  closers.push(
    () => till.shutdown().catch(() => {}),
    () => bridgeDevice.close(),
  )
}
const ctx = commandContext('till-1', world.store)
const source = createDeviceSource(bridgeDevice)
const bridge = createPrintBridge({
  source,
  dataDir,
  printers: [{ id: 'kitchen-printer', url: printer.url }],
})

/** The store a device created, as the fixtures describe a store made in a plain repo. */
async function deviceStore(device: Device): Promise<RepoStore> {
  const store = device.store()
  const tables = new Map<string, DocHandle<TableDoc>>()
  for (const t of Object.values(store.tables)) {
    tables.set(t.id, await device.repo.find<TableDoc>(t.url as AutomergeUrl))
  }
  return { storeUrl: device.storeUrl as AutomergeUrl, store, tables }
}

/** Fires one kitchen line on `order`; resolves with ms from the command to the last byte. */
async function fireOnce(order: DocHandle<OrderDoc>, i: number): Promise<number> {
  const t0 = now()
  let ids: string[] = []
  order.change((d) => {
    addLine(d, ctx, { itemId: i % 2 ? 'pasta' : 'soup', seat: (i % 4) + 1 })
    ids = fire(d, ctx)
  })
  const ref = ticketRef(ids[0] as string)
  if (!(await until(() => printed.has(ref), 15_000, 1)))
    throw new Error(`ticket ${ref} never printed`)
  return (printed.get(ref) as number) - t0
}

const orders: DocHandle<OrderDoc>[] = []
serve(
  {
    fires: async (m) => {
      const count = Number(m['count'])
      const gapMs = Number(m['gapMs'])
      if (orders.length === 0) {
        for (let i = 0; i < 8; i++) {
          const tableId = `t${i + 1}`
          const table = world.tables.get(tableId)
          if (!table) throw new Error(`no table ${tableId}`)
          orders.push(openOrderIn(till, ctx, table, tableId))
        }
        // Warm-up: one printed ticket per order, so the bridge follows every order.
        for (const [i, o] of orders.entries()) await fireOnce(o, i)
      }
      const samples: number[] = []
      for (let i = 0; i < count; i++) {
        samples.push(await fireOnce(orders[i % orders.length] as DocHandle<OrderDoc>, i))
        await sleep(gapMs)
      }
      return { samples, bytes: printer.bytesReceived, receipts: printer.receipts.length }
    },
  },
  { path: kind },
  async () => {
    await bridge.stop()
    await source.close()
    await printer.close()
    await Promise.all(closers.map((c) => c()))
    await rm(dataDir, { recursive: true, force: true })
  },
)
