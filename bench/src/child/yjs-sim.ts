// Child process: simulated Yjs devices of some stores against a Hocuspocus relay, the Yjs twin of
// capacity-sim.ts: each device one WebSocket (HocuspocusProviderWebsocket) carrying every order
// of its store, the same order shape (peers/yjs-order.ts) and the same paced loop (sim-run.ts).
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { CommandContext } from '@tabsync/core'
import { until } from '../fixtures/schedule.js'
import { SimRun } from '../fixtures/sim-run.js'
import { newYOrder, yTapLine } from '../peers/yjs-order.js'
import { serveSimulator } from './serve-sim.js'

const relayUrl = process.env['TABSYNC_BENCH_URL'] as string
const token = process.env['TABSYNC_BENCH_SECRET'] ?? ''

interface YDevice {
  readonly socket: HocuspocusProviderWebsocket
  readonly providers: HocuspocusProvider[]
  readonly docs: Y.Doc[]
  readonly ctx: CommandContext
}

const sim = new SimRun()

/** Opens `doc` as `name` on the device's socket; resolves once the first sync is done. */
async function attach(dev: YDevice, name: string, doc: Y.Doc): Promise<void> {
  const provider = new HocuspocusProvider({
    name,
    document: doc,
    token,
    websocketProvider: dev.socket,
  })
  const synced = new Promise<void>((resolve) => provider.on('synced', () => resolve()))
  provider.attach() // a provider on a shared socket does not attach by itself
  dev.providers.push(provider)
  dev.docs.push(doc)
  await synced
  // Deliveries: lines added by another device (remote transactions only).
  const lines = doc.getMap('order').get('lines') as Y.Map<unknown> | undefined
  const watch = (map: Y.Map<unknown>): void =>
    map.observe((event) => {
      if (event.transaction.local) return
      for (const [key, change] of event.changes.keys)
        if (change.action === 'add') sim.delivered(key)
    })
  if (lines) watch(lines)
  else {
    await until(() => doc.getMap('order').get('lines') !== undefined, 60_000, 5)
    watch(doc.getMap('order').get('lines') as Y.Map<unknown>)
  }
}

serveSimulator<YDevice>(sim, {
  open: ({ ctx }) => ({
    socket: new HocuspocusProviderWebsocket({ url: relayUrl, WebSocketPolyfill: WebSocket }),
    providers: [],
    docs: [],
    ctx,
  }),
  // The first device creates the orders; the others attach empty documents of the same names.
  async share(devices, tables, { tag, store }) {
    const first = devices[0] as YDevice
    const names = tables.map((_, o) => `${tag}-s${store}-o${o}`)
    for (const [o, name] of names.entries())
      await attach(first, name, newYOrder(first.ctx, tables[o] as string))
    for (const d of devices.slice(1))
      await Promise.all(names.map((name) => attach(d, name, new Y.Doc())))
  },
  // A line added to one of the device's orders, chosen at random.
  tapper: (dev) => ({
    tap: (i) =>
      yTapLine(dev.docs[Math.floor(Math.random() * dev.docs.length)] as Y.Doc, dev.ctx, i),
  }),
  close: (dev) => {
    for (const p of dev.providers) p.destroy()
    dev.socket.destroy()
  },
})
