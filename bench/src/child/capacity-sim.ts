// Child process: simulated devices of some stores, each device its own Repo and WebSocket.
// All devices of one store live in the same process, so fan-out latency (sender's change to
// each other device of the store seeing it) is measured with one clock.
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { addLine, type CommandContext, type OrderDoc } from '@tabsync/core'
import { lineInput, newOrder } from '../fixtures/orders.js'
import { SimRun } from '../fixtures/sim-run.js'
import { findReady, stockClient, whenConnected } from '../peers/stock-repo.js'
import { sleep } from '../workload.js'
import { serveSimulator, type SimDeviceAt } from './serve-sim.js'

const relayUrl = process.env['TABSYNC_BENCH_URL'] as string
const kind = process.env['TABSYNC_BENCH_PATH'] ?? 'stock'
const secret = process.env['TABSYNC_BENCH_SECRET'] ?? ''
/** The other nodes of a relay cluster (comma-separated), for Tabsync devices to fail over to. */
const alternateUrls = (process.env['TABSYNC_BENCH_ALTERNATE_URLS'] ?? '').split(',').filter(Boolean)

interface SimDevice {
  readonly repo: Repo
  readonly close: () => Promise<void>
  readonly ctx: CommandContext
  readonly handles: DocHandle<OrderDoc>[]
}

const sim = new SimRun()

/** One simulated device: a plain Repo (stock) or a @tabsync/sync device (its repo is used). */
async function open({ tag, store, device, ctx }: SimDeviceAt): Promise<SimDevice> {
  const peerId = `sim-${tag}-s${store}-d${device}`
  if (kind === 'tabsync') {
    const { tabsyncDevice } = await import('../paths/tabsync-pair.js')
    const tabsync = await tabsyncDevice(relayUrl, secret, peerId, [`store-${store}`], {
      reopen: false,
      ...(alternateUrls.length > 0
        ? { endpoints: [{ url: relayUrl, kind: 'relay' as const, alternateUrls }] }
        : {}),
    })
    return { repo: tabsync.repo, close: () => tabsync.close(), ctx, handles: [] }
  }
  const repo = stockClient(relayUrl, peerId)
  return { repo, close: () => repo.shutdown().catch(() => {}), ctx, handles: [] }
}

function listen(h: DocHandle<OrderDoc>): void {
  h.on('change', ({ patches }) => {
    for (const p of patches) {
      if (p.action !== 'put' || p.path.length !== 2 || p.path[0] !== 'lines') continue
      sim.delivered(String(p.path[1]))
    }
  })
}

/** The first device creates the orders; the others find them through the relay. */
async function share(devices: readonly SimDevice[], tables: readonly string[]): Promise<void> {
  await Promise.all(devices.map((d) => whenConnected(d.repo, 60_000)))
  const first = devices[0] as SimDevice
  const urls: AutomergeUrl[] = []
  for (const table of tables) {
    const h = first.repo.create<OrderDoc>(newOrder(first.ctx, table))
    first.handles.push(h)
    urls.push(h.url)
  }
  await sleep(kind === 'tabsync' ? 400 : 150)
  for (const d of devices.slice(1))
    d.handles.push(...(await Promise.all(urls.map((u) => findReady<OrderDoc>(d.repo, u, 60_000)))))
  for (const d of devices) for (const h of d.handles) listen(h)
}

serveSimulator<SimDevice>(sim, {
  open,
  share,
  // A line added (core's command) to one of the device's orders, chosen at random.
  tapper: (dev) => ({
    tap(i) {
      const h = dev.handles[Math.floor(Math.random() * dev.handles.length)] as DocHandle<OrderDoc>
      let id = ''
      h.change((d) => {
        id = addLine(d, dev.ctx, lineInput(i))
      })
      return id
    },
  }),
  close: (dev) => dev.close(),
})
