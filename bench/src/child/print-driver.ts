// Child process: fire -> ticket bytes at a fake ESC/POS printer. A till fires kitchen lines;
// a print bridge (@tabsync/printer over a plain Repo source) prints them. `local`: the bridge
// reads the till's own repo (no network). `stock`: till -> stock relay -> the bridge's repo.
// `tabsync`: till device -> Tabsync relay -> the bridge's device.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { addLine, fire, type OrderDoc } from '@tabsync/core'
import { createPrintBridge, createRepoSource, startFakePrinter, ticketRef } from '@tabsync/printer'
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
let bridgeRepo: Repo
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
  const bridgeDevice = await tabsyncDevice(
    relayUrl as string,
    secret,
    'bridge-1',
    ['store-print'],
    { storeUrl: world.storeUrl },
  )
  await bridgeDevice.ready()
  bridgeRepo = bridgeDevice.repo
  closers.push(
    () => tillDevice.close(),
    () => bridgeDevice.close(),
  )
} else {
  till =
    kind === 'local'
      ? new Repo({ network: [] })
      : stockClient(relayUrl as string, `till-${process.pid}`)
  bridgeRepo = kind === 'local' ? till : stockClient(relayUrl as string, `bridge-${process.pid}`)
  if (kind !== 'local') await Promise.all([whenConnected(till), whenConnected(bridgeRepo)])
  world = createRepoStore(till, 'store-print')
  closers.push(() => till.shutdown().catch(() => {}))
  if (kind !== 'local') closers.push(() => bridgeRepo.shutdown().catch(() => {}))
}
const ctx = commandContext('till-1', world.store)
const source = createRepoSource({
  repo: bridgeRepo,
  storeUrl: world.storeUrl,
  deviceId: 'bridge-1',
})
const bridge = createPrintBridge({
  source,
  dataDir,
  printers: [{ id: 'kitchen-printer', url: printer.url }],
})

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
