// Child process: simulated Yjs devices of some stores against a Hocuspocus relay, the Yjs twin of
// capacity-sim.ts: each device one WebSocket (HocuspocusProviderWebsocket) carrying every order
// of its store, the same order shape (peers/yjs-order.ts) and the same paced loop (sim-run.ts).
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { CommandContext } from '@tabsync/core'
import { commandContext, demoStore } from '../fixtures/orders.js'
import { until } from '../fixtures/schedule.js'
import { SimRun, type SimTapper } from '../fixtures/sim-run.js'
import { newYOrder, yTapLine } from '../peers/yjs-order.js'
import { serve } from './serve.js'

const relayUrl = process.env['TABSYNC_BENCH_URL'] as string
const token = process.env['TABSYNC_BENCH_SECRET'] ?? ''

interface YDevice {
  readonly socket: HocuspocusProviderWebsocket
  readonly providers: HocuspocusProvider[]
  readonly docs: Y.Doc[]
  readonly ctx: CommandContext
}

const stores: YDevice[][] = []
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

async function setup(m: {
  stores: number[]
  devices: number
  orders: number
  tag: string
}): Promise<Record<string, unknown>> {
  for (const s of m.stores) {
    const devices: YDevice[] = []
    for (let d = 0; d < m.devices; d++) {
      devices.push({
        socket: new HocuspocusProviderWebsocket({ url: relayUrl, WebSocketPolyfill: WebSocket }),
        providers: [],
        docs: [],
        ctx: commandContext(`s${s}-d${d}`, demoStore(`store-${s}`)),
      })
    }
    const first = devices[0] as YDevice
    const names = Array.from({ length: m.orders }, (_, o) => `${m.tag}-s${s}-o${o}`)
    for (const [o, name] of names.entries())
      await attach(first, name, newYOrder(first.ctx, `t${(o % 8) + 1}`))
    for (const d of devices.slice(1))
      await Promise.all(names.map((name) => attach(d, name, new Y.Doc())))
    stores.push(devices)
  }
  return { stores: stores.length }
}

/** A device's tap: a line added to one of its orders, chosen at random. */
function tapper(dev: YDevice): SimTapper {
  return {
    tap: (i) =>
      yTapLine(dev.docs[Math.floor(Math.random() * dev.docs.length)] as Y.Doc, dev.ctx, i),
  }
}

serve(
  {
    setup: (m) => setup(m as never),
    run: async (m) => ({
      ...(await sim.run(
        stores.map((devices) => devices.map(tapper)),
        m as never,
      )),
    }),
  },
  {},
  () => {
    for (const devices of stores)
      for (const d of devices) {
        for (const p of d.providers) p.destroy()
        d.socket.destroy()
      }
  },
)
